# Sourced by scripts/test.sh: what the portal's tests and benchmark need.
#   chromium  headless browser for the portal's heavy_ browser tests (Debian's build; the tests
#             never let a tool download its own browser)
#   sqlite3   the browser refresh tests add profiles to the running hardware's database
#   nginx,wrk the static-file reference and the load generator of scripts/bench-portal.sh
#   npm: lighthouse, axe-core, playwright-core (pinned) in .tmp/portal-audit, for the audit
#             test (portal/tests/audit/audit.mjs); none of them downloads a browser
# Exports CHROMIUM (tests/heavy/browser.rs), CHROME_PATH (Lighthouse) and
# PORTAL_AUDIT_NODE_PATH (tests/heavy/audit.rs).
apt_install chromium sqlite3 nginx wrk
export CHROMIUM=/usr/bin/chromium
export CHROME_PATH=/usr/bin/chromium
PORTAL_AUDIT_NODE_PATH="$ROOT/.tmp/portal-audit/node_modules"
if [ ! -f "$PORTAL_AUDIT_NODE_PATH/lighthouse/package.json" ] \
    || [ ! -f "$PORTAL_AUDIT_NODE_PATH/axe-core/axe.min.js" ] \
    || [ ! -f "$PORTAL_AUDIT_NODE_PATH/playwright-core/package.json" ]; then
    echo "installing npm packages for the portal audit: lighthouse axe-core playwright-core"
    mkdir -p "$ROOT/.tmp/portal-audit"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$ROOT/.tmp/portal-audit" \
        --no-audit --no-fund --no-save --loglevel=error \
        lighthouse@12.8.2 axe-core@4.14.1 playwright-core@1.65.2 >/dev/null
fi
export PORTAL_AUDIT_NODE_PATH
