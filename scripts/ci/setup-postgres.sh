# Sourced by scripts/test.sh: what the `hardware` PostgreSQL tests (hardware/tests/postgres/)
# and scripts/bench-hardware-postgres.sh need.
#   PG_BIN        directory holding initdb, pg_ctl and postgres (PostgreSQL 15 here)
#   PG_TEST_USER  the OS user the test servers run as: PostgreSQL refuses to run as root, so
#                 when we are root a system user without a home is created for it
# The tests fail (never skip) when either is missing.

export PG_BIN="${PG_BIN:-/usr/local/bin}"
for _pg_tool in initdb pg_ctl postgres; do
    if [ ! -x "$PG_BIN/$_pg_tool" ]; then
        echo "error: $PG_BIN/$_pg_tool is missing; the PostgreSQL tests need the server binaries" >&2
        return 1
    fi
done
unset _pg_tool

export PG_TEST_USER="${PG_TEST_USER:-pgtest}"
if [ "$(id -u)" = 0 ]; then
    if ! id -u "$PG_TEST_USER" >/dev/null 2>&1; then
        echo "creating the system user $PG_TEST_USER for the PostgreSQL test servers"
        useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_TEST_USER"
    fi
else
    # Not root: the servers run as the current user, who may run them already.
    PG_TEST_USER=$(id -un)
fi
