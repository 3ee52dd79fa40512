# Sourced by scripts/test.sh: what the portal's tests and benchmark need.
#   chromium  headless browser for the portal's heavy_ browser test (Debian's build; the test
#             never lets a tool download its own browser)
#   nginx,wrk the static-file reference and the load generator of scripts/bench-portal.sh
# Exports CHROMIUM, which tests/heavy_browser.rs reads.
apt_install chromium nginx wrk
export CHROMIUM=/usr/bin/chromium
