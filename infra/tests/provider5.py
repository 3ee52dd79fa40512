"""Makes a copy of infra/terraform that the real hashicorp/aws 5.100.0 provider can load: the
only provider binary on the test machines (a filesystem mirror; nothing can be downloaded).
It predates the 6.x arguments, so the copy drops exactly those, and everything else gets the
provider's own validation and a plan against moto (scripts/ci/check-terraform-provider.sh):

- ECS blue/green: `deployment_configuration` (strategy, bake time, lifecycle hooks) and
  `load_balancer.advanced_configuration`, which 5.x does not have;
- `data.aws_region.<n>.region` (6.x) is `.name` in 5.x;
- the `ephemeral "random_password"` (hashicorp/random is not in the mirror) becomes an
  ephemeral variable;
- the S3 backend and the lock file (pinned to 6.66.0) go; the constraint becomes 5.100.0.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

TERRAFORM = Path(__file__).resolve().parents[1] / "terraform"
REMOVED_BLOCKS = ("deployment_configuration", "advanced_configuration")


def remove_block(text: str, name: str) -> str:
    """`text` without every block `name { ... }` (nested braces matched, quoted strings skipped)."""
    pattern = re.compile(r"^[ \t]*" + re.escape(name) + r"\s*\{", re.M)
    out, position = [], 0
    while match := pattern.search(text, position):
        out.append(text[position:match.start()])
        depth, index = 0, match.end() - 1
        while True:
            char = text[index]
            if char == '"':  # a quoted string: its braces do not count
                index += 1
                while text[index] != '"':
                    index += 2 if text[index] == "\\" else 1
            depth += {"{": 1, "}": -1}.get(char, 0)
            if depth == 0:
                break
            index += 1
        position = index + 1
        if text[position:position + 1] == "\n":
            position += 1
    out.append(text[position:])
    return "".join(out)


def transform(name: str, text: str) -> str:
    """One .tf file of the copy."""
    for block in REMOVED_BLOCKS:
        text = remove_block(text, block)
    text = re.sub(r"data\.aws_region\.(\w+)\.region\b", r"data.aws_region.\1.name", text)
    text = re.sub(r'ephemeral "random_password" "(\w+)" \{.*?\n\}\n', (
        'variable "offline_check_password" {\n'
        '  description = "Stands in for the ephemeral random_password (no random provider offline)."\n'
        '  type        = string\n'
        '  default     = "offline-check-password-0123456789abcdef"\n'
        '  ephemeral   = true\n'
        '}\n'), text, flags=re.S)
    text = re.sub(r"ephemeral\.random_password\.\w+\.result", "var.offline_check_password", text)
    if name == "versions.tf":
        text = re.sub(r'version = ">= 6\.\d+, < 7\.0"', 'version = "5.100.0"', text)
        text = re.sub(r"\n    random = \{[^}]*\}\n", "\n", text)
    if name == "backend.tf":
        text = text.replace('backend "s3" {}', "")
    return text


def make_copy(destination: Path) -> None:
    shutil.copytree(TERRAFORM, destination, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    for tf in destination.rglob("*.tf"):
        tf.write_text(transform(tf.name, tf.read_text()))


if __name__ == "__main__":
    make_copy(Path(sys.argv[1]))
