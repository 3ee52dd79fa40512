# Setup for the deployer's tests (sourced by scripts/test.sh; never exits).
# The deployer's integration tests start their own moto_server on a loopback port, so CI needs
# moto's server extra. moto_server has no --version flag (pip_install's probe), so the probe here
# is `moto_server --help`: install only when that fails, then require that it works.
if ! moto_server --help >/dev/null 2>&1; then
    pip_install moto_server 'moto[server]'
fi
if ! moto_server --help >/dev/null 2>&1; then
    echo "error: 'moto_server --help' fails after installing moto[server]; the deployer tests need it" >&2
    return 1
fi
MOTO_SERVER=$(command -v moto_server)
export MOTO_SERVER
