// app.js: the organizer dashboard. Plain script, no build step and no
// library: sign-in through POST /api/session (an HttpOnly cookie holds the
// session), figures from GET /api/events/<event>/stats, live changes from
// the server-sent events of /api/events/<event>/feed. Every word comes
// from i18n.js; ids and numbers from the server are inserted as text,
// never as markup.
'use strict';

(function () {
  const WORDS = window.EM_I18N;
  const LANGS = Object.keys(WORDS);
  const STATUSES = ['requested', 'accepted', 'scheduled', 'declined',
    'cancelled', 'expired', 'noshow'];
  const SIDES = ['seller', 'buyer', 'both'];
  const FEED_MAX = 100; // items kept in the live list
  const REFETCH_GAP_MS = 1000; // at most one stats fetch per second
  const POLL_MS = 30000; // a fetch now and then even without changes
  const SVGNS = 'http://www.w3.org/2000/svg';

  const state = {
    lang: 'en',
    who: null, // {role, events}
    event: '',
    stats: null,
    statsAt: null,
    source: null, // the EventSource
    live: 'off',
    feed: [], // {kind, data, at}, newest first
    fetching: false,
    refetchTimer: null,
    lastFetch: 0,
    pollTimer: null,
    error: null // {key, code} shown above the board
  };

  const $ = (id) => document.getElementById(id);

  // ---- words ----

  function words() { return WORDS[state.lang] || WORDS.en; }

  function t(key) {
    const w = words();
    return key in w ? w[key] : WORDS.en[key] || key;
  }

  // Fills el with a template's text, each {name} replaced by vars[name]
  // as an isolated <bdi> (an id written left to right stays readable in
  // an Arabic sentence, and is never parsed as markup).
  function fill(el, key, vars) {
    el.textContent = '';
    const parts = t(key).split(/\{(\w+)\}/);
    parts.forEach((part, i) => {
      if (i % 2 === 0) {
        if (part) el.appendChild(document.createTextNode(part));
      } else {
        const v = vars && part in vars ? vars[part] : '';
        if (v instanceof Node) {
          el.appendChild(v);
        } else {
          const b = document.createElement('bdi');
          b.textContent = String(v);
          el.appendChild(b);
        }
      }
    });
    return el;
  }

  function num(n) { return new Intl.NumberFormat(state.lang).format(n); }

  function pct(x) {
    return new Intl.NumberFormat(state.lang,
      { style: 'percent', maximumFractionDigits: 1 }).format(x);
  }

  function countryName(code) {
    try {
      const names = new Intl.DisplayNames([state.lang], { type: 'region' });
      return names.of(code) || code;
    } catch (e) {
      return code;
    }
  }

  // "2026-07-13T09:00:00" (the event's local time) as a short label.
  function slotLabel(start, withDay) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(start || '');
    if (!m) return '';
    const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]));
    const opts = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
      timeZone: 'UTC' };
    if (withDay) { opts.day = 'numeric'; opts.month = 'short'; }
    return new Intl.DateTimeFormat(state.lang, opts).format(d);
  }

  function clock(date) {
    return new Intl.DateTimeFormat(state.lang,
      { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(date);
  }

  function setLang(lang) {
    if (!WORDS[lang]) lang = 'en';
    state.lang = lang;
    const root = document.documentElement;
    root.lang = lang;
    root.dir = WORDS[lang].dir;
    try { localStorage.setItem('em-lang', lang); } catch (e) { /* private mode */ }
    document.querySelectorAll('[data-i18n]').forEach((el) => {
      el.textContent = t(el.getAttribute('data-i18n'));
    });
    document.querySelectorAll('#langs button').forEach((b) => {
      b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
    });
    document.title = 'expomatch · ' + t('title');
    $('event').placeholder = t('event_placeholder');
    $('langs').setAttribute('aria-label', 'Language · ภาษา · اللغة');
    renderWho();
    renderLive();
    renderError();
    if (state.stats) renderStats();
    renderFeed();
  }

  function initialLang() {
    let saved = null;
    try { saved = localStorage.getItem('em-lang'); } catch (e) { /* none */ }
    if (saved && WORDS[saved]) return saved;
    for (const l of navigator.languages || []) {
      const base = l.slice(0, 2).toLowerCase();
      if (LANGS.includes(base)) return base;
    }
    return 'en';
  }

  // ---- talking to the daemon ----

  async function api(method, path, body) {
    const opts = { method, credentials: 'same-origin', cache: 'no-store',
      headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, opts);
    } catch (e) {
      return { status: 0, data: null };
    }
    let data = null;
    try { data = await res.json(); } catch (e) { /* no body */ }
    return { status: res.status, data };
  }

  // The key of a message for an error reply.
  function errorKey(r, forEvent) {
    if (r.status === 0) return 'err_network';
    if (r.status === 401) return 'err_unauthorized';
    if (r.status === 403) return forEvent ? 'err_event_forbidden' : 'err_forbidden';
    if (r.status === 404) return 'err_not_found';
    if (r.status === 503) return 'err_busy';
    return 'err_other';
  }

  function errorCode(r) {
    return (r.data && r.data.error && r.data.error.code) || String(r.status);
  }

  // ---- signing in and out ----

  function showSignin(messageKey) {
    closeFeed();
    state.who = null;
    state.stats = null;
    $('board').hidden = true;
    $('who').hidden = true;
    $('signin').hidden = false;
    $('signin-error').textContent = messageKey ? t(messageKey) : '';
    $('signin-error').dataset.key = messageKey || '';
    $('token').focus();
  }

  async function onSignin(ev) {
    ev.preventDefault();
    const input = $('token');
    const token = input.value.trim();
    if (!token) return;
    $('signin-button').disabled = true;
    const r = await api('POST', '/api/session', { token });
    input.value = ''; // nothing keeps the token once it is sent
    $('signin-button').disabled = false;
    if (r.status === 200 && r.data) {
      signedIn(r.data);
    } else {
      const key = errorKey(r, false);
      $('signin-error').dataset.key = key;
      fill($('signin-error'), key, { code: errorCode(r) });
    }
  }

  async function onSignout() {
    closeFeed();
    await api('DELETE', '/api/session');
    showSignin(null);
  }

  function signedIn(who) {
    state.who = who;
    $('signin').hidden = true;
    $('board').hidden = false;
    $('who').hidden = false;
    renderWho();
    const input = $('event');
    if (who.role === 'organizer' && who.events && who.events.length) {
      input.value = who.events[0];
      input.readOnly = true;
      $('event-show').hidden = true;
      open(who.events[0]);
    } else {
      input.readOnly = false;
      $('event-show').hidden = false;
      let last = '';
      try { last = localStorage.getItem('em-event') || ''; } catch (e) { /* none */ }
      if (last) {
        input.value = last;
        open(last);
      } else {
        input.focus();
      }
    }
  }

  function renderWho() {
    if (!state.who) return;
    const role = document.createTextNode(t('role_' + state.who.role));
    fill($('who-text'), 'signed_in_as', { role });
  }

  function onEventForm(ev) {
    ev.preventDefault();
    const id = $('event').value.trim();
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) {
      setError('err_bad_event');
      return;
    }
    try { localStorage.setItem('em-event', id); } catch (e) { /* none */ }
    open(id);
  }

  // ---- one event on screen ----

  function open(event) {
    closeFeed();
    state.event = event;
    state.stats = null;
    state.feed = [];
    setError(null);
    renderFeed();
    fetchStats();
    openFeed();
    clearInterval(state.pollTimer);
    state.pollTimer = setInterval(fetchStats, POLL_MS);
  }

  function setError(key, code) {
    state.error = key ? { key, code } : null;
    renderError();
  }

  function renderError() {
    const el = $('board-error');
    if (!state.error) {
      el.textContent = '';
      el.dataset.key = '';
      return;
    }
    el.dataset.key = state.error.key;
    fill(el, state.error.key, { code: state.error.code || '' });
  }

  async function fetchStats() {
    if (!state.event || state.fetching) return;
    const event = state.event;
    state.fetching = true;
    state.lastFetch = Date.now();
    const r = await api('GET', '/api/events/' + encodeURIComponent(event) + '/stats');
    state.fetching = false;
    if (event !== state.event) return; // another event was chosen meanwhile
    if (r.status === 200 && r.data) {
      state.stats = r.data;
      state.statsAt = new Date();
      setError(null);
      renderStats();
    } else if (r.status === 401) {
      showSignin('session_ended');
    } else {
      setError(errorKey(r, true), errorCode(r));
    }
  }

  // A change was announced: fetch soon, but never more than once a
  // second however busy the hall is.
  function scheduleFetch() {
    if (state.refetchTimer) return;
    const wait = Math.max(0, REFETCH_GAP_MS - (Date.now() - state.lastFetch));
    state.refetchTimer = setTimeout(() => {
      state.refetchTimer = null;
      if (state.fetching) scheduleFetch();
      else fetchStats();
    }, wait);
  }

  // ---- the live feed ----

  function openFeed() {
    const url = '/api/events/' + encodeURIComponent(state.event) + '/feed';
    const es = new EventSource(url);
    state.source = es;
    setLive('connecting');
    es.addEventListener('hello', () => setLive('live'));
    es.addEventListener('open', () => setLive('live'));
    for (const kind of ['meeting', 'checkin', 'participant']) {
      es.addEventListener(kind, (m) => onChange(kind, m.data));
    }
    es.addEventListener('end', () => {
      closeFeed();
      showSignin('session_ended');
    });
    es.onerror = async () => {
      if (state.source !== es) return;
      setLive(es.readyState === EventSource.CLOSED ? 'off' : 'connecting');
      // A refused feed (signed out, event gone) does not come back by
      // itself: ask who we are to tell that from a network blip.
      if (es.readyState === EventSource.CLOSED) {
        const r = await api('GET', '/api/session');
        if (r.status === 401) showSignin('session_ended');
      }
    };
  }

  function closeFeed() {
    if (state.source) state.source.close();
    state.source = null;
    clearInterval(state.pollTimer);
    state.pollTimer = null;
    setLive('off');
  }

  function setLive(s) {
    state.live = s;
    renderLive();
  }

  function renderLive() {
    const el = $('live');
    el.dataset.state = state.live;
    $('live-text').textContent = t(
      state.live === 'live' ? 'live' : state.live === 'connecting' ? 'connecting' : 'offline');
  }

  function onChange(kind, text) {
    let data;
    try { data = JSON.parse(text); } catch (e) { return; }
    state.feed.unshift({ kind, data, at: new Date() });
    if (state.feed.length > FEED_MAX) state.feed.length = FEED_MAX;
    renderFeed();
    scheduleFetch();
  }

  function feedText(li, item) {
    const d = item.data;
    if (item.kind === 'checkin') return fill(li, 'feed_checkin', { id: d.id });
    if (item.kind === 'participant') {
      return d.deleted ? fill(li, 'feed_deleted', { id: d.id })
        : fill(li, 'feed_profile', { id: d.id, version: num(d.version) });
    }
    const status = document.createElement('span');
    status.className = 'status st-' + d.status;
    status.textContent = t('st_' + d.status);
    fill(li, 'feed_meeting', { meeting: d.meeting, from: d.from, to: d.to, status });
    if (d.status === 'scheduled' && d.slot) {
      const place = document.createElement('span');
      place.className = 'place';
      fill(place, 'feed_place', { slot: d.slot, table: d.table || '' });
      li.appendChild(document.createTextNode(' · '));
      li.appendChild(place);
    }
    return li;
  }

  function renderFeed() {
    const list = $('feed');
    list.textContent = '';
    $('feed-empty').hidden = state.feed.length > 0;
    for (const item of state.feed) {
      const li = document.createElement('li');
      li.className = 'kind-' + item.kind;
      const time = document.createElement('time');
      time.dateTime = item.at.toISOString();
      time.textContent = clock(item.at);
      const text = document.createElement('span');
      text.className = 'text';
      feedText(text, item);
      li.append(time, text);
      list.appendChild(li);
    }
  }

  // ---- figures ----

  function setCounter(id, n) {
    const el = $(id);
    if (el.dataset.value !== '' && Number(el.dataset.value) !== n) {
      el.classList.remove('changed');
      void el.offsetWidth; // restart the highlight
      el.classList.add('changed');
    }
    el.dataset.value = String(n);
    el.textContent = num(n);
  }

  function renderStats() {
    const s = state.stats;
    let total = 0;
    for (const side of SIDES) {
      const n = (s.participants && s.participants[side]) || 0;
      total += n;
      setCounter('c-' + side, n);
    }
    setCounter('c-total', total);
    setCounter('c-checked_in', s.checked_in || 0);
    for (const st of STATUSES) setCounter('m-' + st, (s.meetings && s.meetings[st]) || 0);
    const slots = s.slots || [];
    const days = new Set(slots.map((x) => (x.start || '').slice(0, 10)));
    const withDay = days.size > 1;
    const labels = slots.map((x) => slotLabel(x.start, withDay) || x.id);
    const maxMeetings = Math.max(0, ...slots.map((x) => x.meetings));
    barChart($('chart-meetings'), slots, labels, {
      value: (x) => x.meetings, max: niceMax(Math.max(maxMeetings, s.tables || 0, 1)),
      format: num, cls: 'bar-meetings', label: 'chart_meetings_label'
    });
    barChart($('chart-util'), slots, labels, {
      value: (x) => x.utilization, max: 1, format: pct, cls: 'bar-util',
      label: 'chart_util_label'
    });
    fill($('tables-note'), 'tables_note', { n: num(s.tables || 0) });
    table($('sectors'), s.sectors || [], (x) => {
      const name = (words().sections || {})[x.section] || x.section;
      return name + ' (' + x.section + ')';
    });
    table($('countries'), s.countries || [], (x) => countryName(x.code));
    if (state.statsAt) fill($('updated'), 'updated', { time: clock(state.statsAt) });
  }

  function table(el, rows, nameOf) {
    const body = el.tBodies[0];
    body.textContent = '';
    if (!rows.length) {
      const tr = body.insertRow();
      const td = tr.insertCell();
      td.colSpan = 2;
      td.className = 'empty';
      td.textContent = t('no_data');
      return;
    }
    const top = Math.max(...rows.map((r) => r.participants), 1);
    for (const r of rows) {
      const tr = body.insertRow();
      const name = tr.insertCell();
      name.textContent = nameOf(r);
      const n = tr.insertCell();
      n.className = 'num';
      const cell = document.createElement('span');
      cell.className = 'cell';
      const v = document.createElement('span');
      v.textContent = num(r.participants);
      const track = document.createElement('span');
      track.className = 'track';
      const meter = document.createElement('span');
      meter.className = 'meter';
      meter.style.inlineSize = Math.max(4, Math.round(100 * r.participants / top)) + '%';
      track.appendChild(meter);
      cell.append(v, track);
      n.appendChild(cell);
    }
  }

  // The smallest 1, 2 or 5 times a power of ten at or above v.
  function niceMax(v) {
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  function svgEl(name, attrs, text) {
    const el = document.createElementNS(SVGNS, name);
    for (const k in attrs) el.setAttribute(k, attrs[k]);
    if (text !== undefined) el.textContent = text;
    return el;
  }

  // Bars, one per slot, drawn in the page's direction: the first slot on
  // the left in English and Thai, on the right in Arabic.
  function barChart(svg, slots, labels, o) {
    const W = 640, H = 260, L = 52, R = 14, T = 14, B = 44;
    const rtl = document.documentElement.dir === 'rtl';
    const X = (x, w) => (rtl ? W - x - (w || 0) : x);
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    svg.setAttribute('aria-label', t(o.label));
    svg.textContent = '';
    const plotW = W - L - R, plotH = H - T - B;
    for (const f of [0, 0.5, 1]) {
      const y = T + plotH * (1 - f);
      svg.appendChild(svgEl('line', { x1: X(L), x2: X(W - R), y1: y, y2: y,
        class: f === 0 ? 'axis' : 'grid' }));
      svg.appendChild(svgEl('text', { x: X(L - 8), y: y + 4, class: 'tick',
        'text-anchor': rtl ? 'start' : 'end' }, o.format(o.max * f)));
    }
    if (!slots.length) {
      svg.appendChild(svgEl('text', { x: W / 2, y: H / 2, class: 'empty',
        'text-anchor': 'middle' }, t('no_data')));
      return;
    }
    const step = plotW / slots.length;
    const barW = Math.max(2, Math.min(48, step * 0.7));
    const every = Math.ceil(slots.length / 10); // labels that fit
    slots.forEach((s, i) => {
      const v = o.value(s);
      const h = Math.max(0, Math.min(1, v / o.max)) * plotH;
      const x = L + i * step + (step - barW) / 2;
      const bar = svgEl('rect', { x: X(x, barW), y: T + plotH - h, width: barW,
        height: Math.max(h, v > 0 ? 1 : 0), class: 'bar ' + o.cls });
      const tip = svgEl('title');
      tip.textContent = t('bar_title').replace('{slot}', s.id + ' · ' + labels[i])
        .replace('{value}', o.format(v));
      bar.appendChild(tip);
      svg.appendChild(bar);
      if (i % every === 0) {
        svg.appendChild(svgEl('text', { x: X(x + barW / 2), y: H - B + 18,
          class: 'tick', 'text-anchor': 'middle' }, labels[i]));
      }
    });
  }

  // ---- start ----

  async function boot() {
    $('signin-form').addEventListener('submit', onSignin);
    $('event-form').addEventListener('submit', onEventForm);
    $('signout').addEventListener('click', onSignout);
    document.querySelectorAll('#langs button').forEach((b) => {
      b.addEventListener('click', () => setLang(b.dataset.lang));
    });
    setLang(initialLang());
    const r = await api('GET', '/api/session');
    if (r.status === 200 && r.data) signedIn(r.data);
    else showSignin(r.status === 0 ? 'err_network' : null);
  }

  boot();
})();
