output "secret_arn" {
  description = "Secrets Manager secret holding the client service's database URL, once it has its value and the database exists."
  # Taken from the secret *version*, not the secret: whatever uses this ARN (hardware's task
  # definition, hence its service) is created only after the secret has a value, and that
  # value names the instance's address, so also after the database is available. From the
  # secret itself, ECS would start hardware minutes before RDS is ready and before the secret
  # has a value (ResourceInitializationError, circuit breaker, nothing to roll back to).
  value      = aws_secretsmanager_secret_version.database_url.arn
  depends_on = [aws_db_instance.this, aws_secretsmanager_secret_version.database_url]
}

output "address" {
  description = "Host name of the database (private)."
  value       = aws_db_instance.this.address
}
