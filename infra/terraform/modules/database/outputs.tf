output "secret_arn" {
  description = "Secrets Manager secret holding hardware's DATABASE_URL."
  value       = aws_secretsmanager_secret.database_url.arn
}

output "address" {
  description = "Host name of the database (private)."
  value       = aws_db_instance.this.address
}
