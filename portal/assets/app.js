// Keeps the dashboard current without a reload. Polls /version (a few bytes) and, when the
// snapshot changed, fetches this same URL and patches <main id="live"> in place: only the rows
// and blocks that differ are replaced, so keyboard focus and the scroll position stay where
// they were, and a short polite status ("3 profiles updated") is announced in a small live
// region instead of the whole table. Polling stops while the tab is hidden. The filter form
// is never touched, so typing is never interrupted. Without this script the page is the same,
// only not live. No framework and no inline script: the CSP allows only scripts from here.
// Markers on <html>, which only this running script sets (the server never writes them), so a
// test or a curious reader can tell it is alive: data-live="1" once it has started,
// data-refreshes="<n>" counting applied updates and data-polls="<n>" counting /version polls.
(function () {
  'use strict';
  var root = document.documentElement;
  var body = document.body;
  var refreshes = 0;
  var polls = 0;
  var timer = null;
  var inFlight = false;
  var current = body.getAttribute('data-version') || '';
  var pollMs = Number(body.getAttribute('data-poll-ms')) || 0;

  function relative(seconds) {
    if (seconds < 10) return 'just now';
    if (seconds < 60) return Math.floor(seconds) + ' s ago';
    if (seconds < 3600) return Math.floor(seconds / 60) + ' min ago';
    if (seconds < 86400) return Math.floor(seconds / 3600) + ' h ago';
    return Math.floor(seconds / 86400) + ' d ago';
  }

  // A value whose time plus the table's data-stale-after (the refresh interval plus the
  // grace, in seconds, from the server) passes while the page is open gets the same "stale"
  // mark the server would render.
  function markStale(stamp, at, now) {
    var table = stamp.closest('table');
    var after = table ? Number(table.getAttribute('data-stale-after')) : 0;
    var row = stamp.closest('tr');
    if (!after || now < at + after * 1000 || !row || row.classList.contains('stale')) return;
    row.classList.add('stale');
    var mark = stamp.ownerDocument.createElement('span');
    mark.className = 'stale-mark';
    mark.textContent = 'stale';
    stamp.after(' ', mark);
  }

  // Relative times follow the reader's clock (the server writes them against its data time).
  function humanize(scope) {
    var now = Date.now();
    var stamps = scope.querySelectorAll('time[data-relative]');
    for (var i = 0; i < stamps.length; i++) {
      var at = Date.parse(stamps[i].getAttribute('datetime'));
      if (isNaN(at)) continue;
      stamps[i].textContent = relative((now - at) / 1000);
      markStale(stamps[i], at, now);
    }
  }

  // Enough to find the focused element again in new markup: its id, or its link target.
  function focusKey() {
    var el = document.activeElement;
    var live = document.getElementById('live');
    if (!el || el === body || !live || !live.contains(el)) return null;
    return { id: el.id, href: el.getAttribute('href'), text: el.textContent };
  }

  function restoreFocus(key) {
    if (!key) return;
    var el = document.activeElement;
    if (el && el !== body && el.isConnected) return;
    var live = document.getElementById('live');
    var found = null;
    if (key.id) found = document.getElementById(key.id);
    if (!found && key.href) {
      var links = live.querySelectorAll('a[href]');
      for (var i = 0; i < links.length && !found; i++) {
        if (links[i].getAttribute('href') === key.href) found = links[i];
      }
    }
    if (!found) found = live;
    found.focus({ preventScroll: true });
  }

  // Rows are matched by data-id: unchanged ones stay (the same nodes), changed or new ones
  // come from the fresh page, in the fresh order. Returns how many rows changed.
  function patchRows(oldBody, newBody) {
    var kept = {};
    var rows = oldBody.querySelectorAll('tr[data-id]');
    for (var i = 0; i < rows.length; i++) kept[rows[i].getAttribute('data-id')] = rows[i];
    var changed = 0;
    var fresh = newBody.querySelectorAll('tr[data-id]');
    var wanted = [];
    for (var j = 0; j < fresh.length; j++) {
      var old = kept[fresh[j].getAttribute('data-id')];
      if (old && old.isEqualNode(fresh[j])) {
        wanted.push(old);
      } else {
        wanted.push(document.importNode(fresh[j], true));
        changed += 1;
      }
    }
    for (var k = 0; k < wanted.length; k++) {
      if (oldBody.children[k] !== wanted[k]) oldBody.insertBefore(wanted[k], oldBody.children[k] || null);
    }
    while (oldBody.children.length > wanted.length) oldBody.lastElementChild.remove();
    return changed;
  }

  // Block by block (matched by tag and class, in the fresh order): an unchanged block stays,
  // the table has its rows patched, any other changed or new block is replaced, and blocks
  // the fresh page lacks go. Returns the number of changed rows.
  function patch(live, next) {
    var olds = Array.prototype.slice.call(live.children);
    var gone = [];
    var changed = 0;
    var wanted = Array.prototype.map.call(next.children, function (fresh) {
      var index = -1;
      for (var i = 0; i < olds.length && index < 0; i++) {
        if (olds[i].tagName === fresh.tagName && olds[i].className === fresh.className) index = i;
      }
      if (index < 0) {
        changed += fresh.querySelectorAll('tbody tr').length;
        return document.importNode(fresh, true);
      }
      var old = olds.splice(index, 1)[0];
      if (old.isEqualNode(fresh)) return old;
      var oldBody = old.querySelector('tbody');
      var newBody = fresh.querySelector('tbody');
      if (!oldBody || !newBody) {
        gone.push(old);
        return document.importNode(fresh, true);
      }
      changed += patchRows(oldBody, newBody);
      var oldCaption = old.querySelector('caption');
      var newCaption = fresh.querySelector('caption');
      if (oldCaption && newCaption && !oldCaption.isEqualNode(newCaption)) {
        oldCaption.replaceWith(document.importNode(newCaption, true));
      }
      return old;
    });
    olds.concat(gone).forEach(function (old) { old.remove(); });
    for (var k = 0; k < wanted.length; k++) {
      if (live.children[k] !== wanted[k]) live.insertBefore(wanted[k], live.children[k] || null);
    }
    return changed;
  }

  function announce(changed) {
    var status = document.getElementById('live-status');
    if (!status) return;
    var text = changed === 1 ? '1 profile updated'
      : changed > 1 ? changed + ' profiles updated' : '';
    if (text) status.textContent = text;
  }

  function apply(html) {
    var fresh = new DOMParser().parseFromString(html, 'text/html');
    var next = fresh.getElementById('live');
    var live = document.getElementById('live');
    if (!next || !live) return false;
    // Both sides against the same clock, so only real changes differ.
    humanize(document);
    humanize(next);
    var key = focusKey();
    var x = window.scrollX;
    var y = window.scrollY;
    var changed = patch(live, next);
    restoreFocus(key);
    window.scrollTo(x, y);
    body.setAttribute('data-version', fresh.body.getAttribute('data-version') || '');
    announce(changed);
    refreshes += 1;
    root.setAttribute('data-refreshes', String(refreshes));
    return true;
  }

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = null;
    if (pollMs > 0 && !document.hidden) timer = window.setTimeout(poll, delay);
  }

  function poll() {
    if (inFlight || document.hidden) return;
    inFlight = true;
    polls += 1;
    root.setAttribute('data-polls', String(polls));
    fetch('/version', { cache: 'no-store' })
      .then(function (r) { return r.ok ? r.text() : current; })
      .then(function (version) {
        version = version.trim();
        if (!version || version === current) return;
        return fetch(window.location.href, { cache: 'no-store' })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) { if (html && apply(html)) current = version; });
      })
      .catch(function () { /* the portal is restarting; try again next time */ })
      .then(function () { inFlight = false; schedule(pollMs); });
  }

  // A hidden tab costs the server nothing; coming back polls at once.
  // (schedule sets no timer while hidden, so this stops polling, or resumes it.)
  document.addEventListener('visibilitychange', function () { schedule(0); });

  humanize(document);
  root.setAttribute('data-live', '1');
  window.setInterval(function () { humanize(document); }, 5000);
  schedule(pollMs);
})();
