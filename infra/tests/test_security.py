"""No ingress to hardware or the database except from the right security group; no public IP
on any task; everything private sits in the private subnets."""

from hcl import parse_text
from invariants import (
    database_secret_violations,
    ingress_violations,
    public_ip_violations,
    stray_ingress_violations,
    task_subnet_violations,
    wiring_violations,
)

GROUPS = """
resource "aws_security_group" "portal" {}
resource "aws_security_group" "hardware" {}
resource "aws_security_group" "database" {}
"""


def test_each_group_takes_traffic_only_from_its_allowed_sources(modules):
    assert ingress_violations(modules["security-groups"]) == []


def test_hardware_and_database_each_have_exactly_one_ingress_source(modules):
    rules = modules["security-groups"].instances_of("aws_vpc_security_group_ingress_rule")
    sources = {}
    for rule in rules.values():
        target = rule["security_group_id"]
        sources.setdefault(target, set()).add(rule.get("referenced_security_group_id") or rule.get("cidr_ipv4"))
    group = '${{aws_security_group.this["{}"].id}}'.format
    assert sources[group("hardware")] == {group("portal")}
    assert sources[group("database")] == {group("hardware")}
    assert sources[group("portal")] == {group("alb")}


def test_hardware_open_to_the_internet_is_caught():
    bad = parse_text(GROUPS + """
resource "aws_vpc_security_group_ingress_rule" "oops" {
  security_group_id = aws_security_group.hardware.id
  cidr_ipv4         = "0.0.0.0/0"
}
""")
    assert ingress_violations(bad) == ["ingress rule oops opens hardware to an address range"]


def test_database_open_to_portal_is_caught():
    bad = parse_text(GROUPS + """
resource "aws_vpc_security_group_ingress_rule" "oops" {
  security_group_id            = aws_security_group.database.id
  referenced_security_group_id = aws_security_group.portal.id
}
""")
    assert ingress_violations(bad) == ["ingress rule oops opens database to portal"]


def test_a_bad_row_of_a_rule_map_is_caught():
    bad = parse_text("""
locals {
  groups = { portal = "p", hardware = "h", database = "d" }
  rules = {
    fine = { group = "hardware", peer = "portal" }
    oops = { group = "database", peer = "portal" }
  }
}
resource "aws_security_group" "this" {
  for_each    = local.groups
  description = each.value
}
resource "aws_vpc_security_group_ingress_rule" "between" {
  for_each                     = local.rules
  security_group_id            = aws_security_group.this[each.value.group].id
  referenced_security_group_id = aws_security_group.this[each.value.peer].id
}
""")
    assert ingress_violations(bad) == ["ingress rule between[oops] opens database to portal"]


def test_inline_ingress_is_caught():
    bad = parse_text("""
resource "aws_security_group" "hardware" {
  ingress {
    cidr_blocks = ["10.0.0.0/8"]
  }
}
""")
    assert ingress_violations(bad) == ["aws_security_group.hardware has inline ingress; use ingress rule resources"]


def test_no_ingress_rules_outside_the_security_groups_module(modules):
    assert stray_ingress_violations(modules) == []


def test_ingress_rule_in_another_module_is_caught(modules):
    stray = dict(modules)
    stray["hardware-service"] = parse_text("""
resource "aws_vpc_security_group_ingress_rule" "debug" {
  security_group_id = "sg-123"
  cidr_ipv4         = "0.0.0.0/0"
}
""")
    assert stray_ingress_violations(stray) == [
        "hardware-service: aws_vpc_security_group_ingress_rule.debug outside modules/security-groups"
    ]


def test_no_task_gets_a_public_ip(modules):
    assert public_ip_violations(modules) == []


def test_a_public_ip_is_caught():
    bad = parse_text("""
resource "aws_ecs_service" "this" {
  network_configuration {
    subnets          = ["subnet-1"]
    assign_public_ip = true
  }
}
resource "aws_ecs_service" "unset" {
  network_configuration {
    subnets = ["subnet-1"]
  }
}
""")
    assert public_ip_violations({"m": bad}) == [
        "m: aws_ecs_service.this does not set assign_public_ip = false",
        "m: aws_ecs_service.unset does not set assign_public_ip = false",
    ]


def test_services_and_database_run_in_private_subnets(modules):
    assert task_subnet_violations(modules["root"]) == []


def test_each_component_uses_its_own_security_group(modules):
    assert wiring_violations(modules["root"]) == []


def test_database_is_not_publicly_accessible_and_password_stays_out_of_state(modules):
    database = modules["database"].resources_of("aws_db_instance")["this"]
    assert database["publicly_accessible"] is False
    assert database["storage_encrypted"] is True
    assert "password" not in database, "a plain password argument would be stored in the state"
    assert database["password_wo"] == "${ephemeral.random_password.master.result}"
    version = modules["database"].resources_of("aws_secretsmanager_secret_version")["database_url"]
    assert "secret_string" not in version
    assert version["secret_string_wo"].startswith("postgres://")


def test_hardware_reads_its_database_url_from_the_secret(modules):
    hardware_task = modules["root"].modules["hardware_task"]
    assert hardware_task["secrets"] == {"DATABASE_URL": "${module.database.secret_arn}"}
    assert "DATABASE_URL" not in str(hardware_task.get("environment"))


def test_database_url_secret_follows_the_instance(modules):
    assert database_secret_violations(modules["database"]) == []


def test_database_url_secret_that_goes_stale_is_caught(modules):
    instance = """
resource "aws_db_instance" "this" {
  password_wo         = ephemeral.random_password.master.result
  password_wo_version = var.password_version
}
"""
    stale = parse_text(instance + """
resource "aws_secretsmanager_secret_version" "database_url" {
  secret_string_wo         = "postgres://u:${ephemeral.random_password.master.result}@${aws_db_instance.this.address}:${aws_db_instance.this.port}/d"
  secret_string_wo_version = var.password_version
}
""")
    assert database_secret_violations(stale) == ["the secret is not rewritten when the database instance is replaced"]
    too_often = parse_text(instance + """
resource "aws_secretsmanager_secret_version" "database_url" {
  secret_string_wo         = "postgres://u:${ephemeral.random_password.master.result}@db.example:5432/d"
  secret_string_wo_version = 1
  lifecycle {
    replace_triggered_by = [aws_db_instance.this]
  }
}
""")
    assert database_secret_violations(too_often) == [
        "DATABASE_URL does not use ${aws_db_instance.this.address}",
        "DATABASE_URL does not use ${aws_db_instance.this.port}",
        "the secret and the database password are not rewritten at the same version",
        "the secret is not rewritten when the database instance is replaced",
        "the secret is rewritten on every change of the instance, also those that keep its password",
    ]
