output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 range of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Subnets for the internet-facing load balancer only."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Subnets for every task and the database; no public addresses, egress through endpoints or NAT."
  value       = aws_subnet.private[*].id
}

output "private_subnet_cidrs" {
  description = "IPv4 ranges of the private subnets, in the order of private_subnet_ids (fixed addresses such as the metrics ingest load balancer's are taken from them)."
  value       = aws_subnet.private[*].cidr_block
}
