"""metrics on AWS (issue 13): a private service next to hardware, with its own task definition,
image, security group and database, and portal and hardware sending to it."""

from __future__ import annotations

import copy
import ipaddress
import re

from hcl import single
from invariants import metrics_ingest_violations


def test_response_times_reach_metrics_through_its_internal_udp_load_balancer(modules):
    assert metrics_ingest_violations(modules) == []


def test_a_public_or_tcp_ingest_is_caught(modules):
    broken = dict(modules)
    broken["metrics-service"] = copy.deepcopy(modules["metrics-service"])
    broken["metrics-service"].resources[("aws_lb", "ingest")]["internal"] = False
    broken["metrics-service"].resources[("aws_lb_listener", "udp")]["protocol"] = "TCP"
    assert metrics_ingest_violations(broken) == [
        "metrics' ingest load balancer is not an internal network load balancer",
        "metrics ingest listener udp is 'TCP', not UDP",
    ]


def test_a_sender_left_without_the_collector_addresses_is_caught(modules):
    broken = dict(modules)
    broken["root"] = copy.deepcopy(modules["root"])
    task = broken["root"].modules["hardware_task"]
    task["environment"] = task["environment"].replace(
        'METRICS_UDP = join(",", module.metrics_service.ingest_addresses)', 'METRICS_UDP = ""'
    )
    assert metrics_ingest_violations(broken) == [
        "module.hardware_task does not send to metrics' ingest addresses (METRICS_UDP)",
    ]


def test_the_fixed_addresses_are_inside_each_private_subnet_and_not_reserved(modules):
    # metrics-client takes IP:PORT only, so the addresses are computed from the subnets. Check
    # the default host number against the network module's own subnet layout.
    host = modules["metrics-service"].variables["ingest_host_number"]["default"]
    vpc = ipaddress.ip_network(modules["root"].variables["vpc_cidr"]["default"])
    private = [list(vpc.subnets(new_prefix=vpc.prefixlen + 4))[i + 8] for i in range(2)]
    assert modules["network"].locals["private_cidrs"] == (
        "${[for i in range(var.az_count) : cidrsubnet(var.cidr_block, 4, i + 8)]}"
    )
    for subnet in private:
        address = subnet[host] if host >= 0 else subnet[subnet.num_addresses + host]
        # AWS reserves the first four addresses and the last one of every subnet.
        assert 4 <= list(subnet).index(address) < subnet.num_addresses - 1, (subnet, address)


def test_metrics_runs_its_own_image_and_reads_its_database_url_from_a_secret(modules):
    root = modules["root"]
    task = root.modules["metrics_task"]
    assert task["container_name"] == "metrics"
    assert task["image"] == '${module.ecr.repository_urls["metrics"]}:${var.metrics_image_tag}'
    assert "latest" in root.variables["metrics_image_tag"]["validation"][0]["condition"]
    assert "metrics" in root.modules["ecr"]["repositories"]
    assert task["secrets"] == {"METRICS_DATABASE": "${module.metrics_database.secret_arn}"}
    assert "METRICS_DATABASE" not in str(task["environment"])
    assert task["udp_ports"] == ["${local.metrics_udp_port}"]
    # Listening on every interface inside the task (the defaults are loopback).
    assert 'METRICS_BIND = "0.0.0.0:${local.container_port}"' in task["environment"]
    assert 'METRICS_UDP_BIND = "0.0.0.0:${local.metrics_udp_port}"' in task["environment"]
    # No healthcheck mode in the binary: the target group's HTTP check decides instead.
    assert task["health_check"] is False
    group = modules["metrics-service"].resources[("aws_lb_target_group", "udp")]
    check = single(group["health_check"])
    assert (check["protocol"], check["path"], check["port"]) == ("HTTP", "/healthz", "${tostring(var.container_port)}")


def test_metrics_has_its_own_database_instance_and_user(modules):
    call = modules["root"].modules["metrics_database"]
    assert call["source"] == "./modules/database"
    assert call["client_name"] == "metrics"
    assert (call["database_name"], call["master_username"]) == ("metrics", "metrics")
    assert call["name_prefix"] == "${var.name}-metrics"
    secret = modules["database"].resources[("aws_secretsmanager_secret", "database_url")]
    assert "${var.client_name}" in secret["name_prefix"]


def test_metrics_is_published_for_queries_and_rolled_out_by_terraform(modules):
    service = modules["metrics-service"].resources_of("aws_ecs_service")["this"]
    published = single(single(service["service_connect_configuration"])["service"])
    assert published["discovery_name"] == "metrics"
    assert single(published["client_alias"])["dns_name"] == "${var.dns_name}"
    assert modules["root"].modules["metrics_service"]["dns_name"] == "metrics.${module.cluster.service_connect_namespace}"
    # infra/deployer releases portal and hardware only: Terraform owns metrics' revisions.
    assert single(service["lifecycle"])["ignore_changes"] == ["desired_count"]
    assert service["wait_for_steady_state"] is True
    breaker = single(service["deployment_circuit_breaker"])
    assert breaker["enable"] is True and breaker["rollback"] is True


def test_the_derived_names_fit_their_length_limits(modules):
    condition = modules["root"].variables["name"]["validation"][0]["condition"]
    longest = int(re.search(r"\{1,(\d+)\}", condition)[1]) + 1
    name = "x" * longest
    assert len(f"{name}-metrics") <= 32  # load balancer
    assert len(f"{name}-metrics-udp") <= 32  # target group
