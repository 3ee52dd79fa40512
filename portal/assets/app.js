// Keeps the dashboard current without a reload: polls /version (a few bytes) and, when the
// snapshot changed, fetches this same URL and swaps in the new <main id="live">. The filter
// form stays untouched so typing is never interrupted. Also rewrites "computed 3 min ago"
// relative to the reader's clock, since the server renders it relative to the data time.
// No framework and no inline script: the page's CSP allows only scripts from this origin.
// Markers on <html>, which only this running script sets (the server never writes them), so a
// test or a curious reader can tell it is alive: data-live="1" once it has started, and
// data-refreshes="<n>" counting the tables it swapped in.
(function () {
  'use strict';
  var root = document.documentElement;
  var body = document.body;
  var refreshes = 0;
  var current = body.getAttribute('data-version') || '';
  var pollMs = Number(body.getAttribute('data-poll-ms')) || 0;

  function relative(seconds) {
    if (seconds < 10) return 'just now';
    if (seconds < 60) return Math.floor(seconds) + ' s ago';
    if (seconds < 3600) return Math.floor(seconds / 60) + ' min ago';
    if (seconds < 86400) return Math.floor(seconds / 3600) + ' h ago';
    return Math.floor(seconds / 86400) + ' d ago';
  }

  // A value that passes its refresh interval plus the grace (data-overdue-at, from the
  // server) while the page is open gets the same "stale" mark the server would render.
  function markStale(stamp, now) {
    var due = Date.parse(stamp.getAttribute('data-overdue-at') || '');
    var row = stamp.closest('tr');
    if (isNaN(due) || now < due || !row || row.classList.contains('stale')) return;
    row.classList.add('stale');
    var mark = document.createElement('span');
    mark.className = 'stale-mark';
    mark.textContent = 'stale';
    stamp.after(' ', mark);
  }

  function humanize() {
    var now = Date.now();
    var stamps = document.querySelectorAll('time[data-relative]');
    for (var i = 0; i < stamps.length; i++) {
      var at = Date.parse(stamps[i].getAttribute('datetime'));
      if (!isNaN(at)) stamps[i].textContent = relative((now - at) / 1000);
      markStale(stamps[i], now);
    }
  }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, 'text/html');
    var next = fresh.getElementById('live');
    var live = document.getElementById('live');
    if (!next || !live) return false;
    live.replaceWith(next);
    body.setAttribute('data-version', fresh.body.getAttribute('data-version') || '');
    humanize();
    refreshes += 1;
    root.setAttribute('data-refreshes', String(refreshes));
    return true;
  }

  function poll() {
    fetch('/version', { cache: 'no-store' })
      .then(function (r) { return r.ok ? r.text() : current; })
      .then(function (version) {
        version = version.trim();
        if (!version || version === current) return;
        return fetch(window.location.href, { cache: 'no-store' })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) { if (html && swap(html)) current = version; });
      })
      .catch(function () { /* the portal is restarting; try again next time */ })
      .then(function () { window.setTimeout(poll, pollMs); });
  }

  humanize();
  root.setAttribute('data-live', '1');
  window.setInterval(humanize, 5000);
  if (pollMs > 0) window.setTimeout(poll, pollMs);
})();
