# Sourced by scripts/test.sh: what the portal's tests and benchmark need.
#   chromium  headless browser for the portal's heavy_ browser test (Debian's build; the test
#             never lets a tool download its own browser)
#   sqlite3   the browser refresh test adds a profile to the running hardware's database
#   nginx,wrk the static-file reference and the load generator of scripts/bench-portal.sh
# Exports CHROMIUM, which tests/heavy/browser.rs reads.
apt_install chromium sqlite3 nginx wrk
export CHROMIUM=/usr/bin/chromium
