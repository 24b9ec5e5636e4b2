// The dashboard's pages (plain browser JavaScript, served by src/dashboard/server.ts after ECharts
// and the report's chart-options.js): runs list (/), run page (/run?id=…), compare (/compare?id=…&id=…).
// Charts are specs of src/report/model.ts drawn by window.rlvrChartOptions, the report's own
// option builders. All text from run files is inserted as text nodes, never as HTML.
// window.__dashboard exposes the page's state for tests: ready, metricsRows, samplesShown, charts.
(function () {
  'use strict';

  var POLL_MS = 500;
  var LIST_POLL_MS = 5000;
  var PAGE_SIZE = 20;
  var state = (window.__dashboard = {
    ready: false,
    metricsRows: 0,
    samplesShown: [],
    samplesLines: 0,
    charts: [],
  });
  var params = new URLSearchParams(location.search);
  var app = document.getElementById('app');
  var crumbs = document.getElementById('crumbs');

  // ---------- DOM helpers ----------
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs)
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'text') el.textContent = String(v);
        else if (k === 'class') el.className = v;
        else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else if (k === 'value') el.value = v;
        else el.setAttribute(k, v === true ? '' : String(v));
      });
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child))
      child.forEach(function (c) {
        append(el, c);
      });
    else
      el.appendChild(
        typeof child === 'string' || typeof child === 'number'
          ? document.createTextNode(String(child))
          : child,
      );
  }
  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }
  function runHref(id) {
    return '/run?id=' + encodeURIComponent(id);
  }
  function fmt(v, digits) {
    if (v === null || v === undefined) return '—';
    if (typeof v !== 'number') return String(v);
    if (Number.isInteger(v)) return String(v);
    var a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
    return v.toFixed(digits === undefined ? 3 : digits);
  }
  function ago(ms) {
    if (ms === null || ms === undefined) return '—';
    var s = Math.max(0, (Date.now() - ms) / 1000);
    if (s < 60) return Math.round(s) + ' s ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    if (s < 86400) return (s / 3600).toFixed(1) + ' h ago';
    return (s / 86400).toFixed(1) + ' d ago';
  }
  function estimateText(e) {
    if (!e || typeof e.value !== 'number') return '—';
    return fmt(e.value) + (Array.isArray(e.ci) ? ' [' + fmt(e.ci[0]) + ', ' + fmt(e.ci[1]) + ']' : '');
  }
  function barValue(e, scale) {
    scale = scale || 1;
    if (!e || typeof e.value !== 'number') return { value: null };
    var v = { value: e.value * scale };
    if (Array.isArray(e.ci) && typeof e.ci[0] === 'number' && typeof e.ci[1] === 'number') {
      v.low = e.ci[0] * scale;
      v.high = e.ci[1] * scale;
    }
    return v;
  }
  function errorBox(errors) {
    if (!errors || !errors.length) return null;
    return h(
      'div',
      { class: 'errors', role: 'alert' },
      errors.map(function (e) {
        return h('div', { text: e });
      }),
    );
  }
  function section(title) {
    var s = h('section', { class: 'panel' }, h('h2', { text: title }));
    app.appendChild(s);
    return s;
  }
  function table(columns, rows, cls) {
    return h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: cls || '' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            columns.map(function (c) {
              return h('th', { text: c });
            }),
          ),
        ),
        h(
          'tbody',
          null,
          rows.map(function (r) {
            return h(
              'tr',
              null,
              r.map(function (c) {
                return c instanceof Node
                  ? h('td', null, c)
                  : h('td', { class: typeof c === 'number' ? 'num' : '', text: fmt(c) });
              }),
            );
          }),
        ),
      ),
    );
  }
  function statTiles(items) {
    return h(
      'div',
      { class: 'stats' },
      items.map(function (it) {
        return h(
          'div',
          { class: 'stat' },
          h('div', { class: 'stat-value', text: it[1] }),
          h('div', { class: 'stat-label', text: it[0] }),
        );
      }),
    );
  }
  function api(path, query) {
    var url = path + '?' + new URLSearchParams(query || {}).toString();
    return fetch(url, { credentials: 'same-origin' }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok)
          throw new Error(
            body && (body.error || body.message) ? body.error || body.message : 'HTTP ' + r.status,
          );
        return body;
      });
    });
  }
  function fail(err) {
    clear(app).appendChild(
      h('div', { class: 'errors', role: 'alert', text: String(err && err.message ? err.message : err) }),
    );
    state.ready = true;
  }

  // ---------- charts (the report's builders) ----------
  var charts = [];
  window.addEventListener('resize', function () {
    charts.forEach(function (c) {
      c.resize();
    });
  });
  function drawChart(container, spec) {
    var holder = h('figure', { class: 'chart-box' }, h('div', { class: 'chart-title', text: spec.title }));
    var el = h('div', { class: 'chart', role: 'img', 'aria-label': spec.title, 'data-title': spec.title });
    holder.appendChild(el);
    if (spec.caption) holder.appendChild(h('figcaption', { text: spec.caption }));
    container.appendChild(holder);
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    charts.push(chart);
    var handle = {
      spec: spec,
      el: el,
      update: function (next) {
        handle.spec = next;
        chart.setOption(window.rlvrChartOptions.build(next));
      },
    };
    handle.update(spec);
    state.charts.push(handle);
    return handle;
  }

  // Largest-Triangle-Three-Buckets downsampling (Steinarsson 2013): keeps a long curve's shape in
  // `threshold` points, so a 10,000-step run draws as fast as a short one. Points are [x, y], x sorted.
  var MAX_POINTS = 1500;
  function lttb(points, threshold) {
    var n = points.length;
    if (n <= threshold || threshold < 3) return points;
    var out = [points[0]];
    var every = (n - 2) / (threshold - 2);
    var a = 0;
    for (var i = 0; i < threshold - 2; i++) {
      var start = Math.floor((i + 1) * every) + 1;
      var end = Math.min(Math.floor((i + 2) * every) + 1, n);
      var avgX = 0,
        avgY = 0;
      for (var j = start; j < end; j++) {
        avgX += points[j][0];
        avgY += points[j][1];
      }
      avgX /= end - start || 1;
      avgY /= end - start || 1;
      var from = Math.floor(i * every) + 1;
      var to = Math.floor((i + 1) * every) + 1;
      var best = from,
        bestArea = -1;
      for (var k = from; k < to; k++) {
        var area = Math.abs(
          (points[a][0] - avgX) * (points[k][1] - points[a][1]) -
            (points[a][0] - points[k][0]) * (avgY - points[a][1]),
        );
        if (area > bestArea) {
          bestArea = area;
          best = k;
        }
      }
      out.push(points[best]);
      a = best;
    }
    out.push(points[n - 1]);
    return out;
  }

  // Exponential moving average with TensorBoard's debiasing; gaps (null) are left out.
  function smooth(points, weight) {
    if (!weight) return points;
    var last = 0;
    var n = 0;
    return points.map(function (p) {
      last = last * weight + (1 - weight) * p[1];
      n++;
      return [p[0], last / (1 - Math.pow(weight, n))];
    });
  }

  // ---------- metric curves ----------
  var GRPO_PANELS = [
    ['Reward', 'reward', ['reward_mean', /^reward\//]],
    ['Accuracy (rollouts vs gold; validation)', 'accuracy', ['accuracy', 'val_accuracy']],
    ['Loss', 'loss', ['loss']],
    ['Entropy', 'nats / token', ['entropy']],
    ['KL to the reference', 'KL / token', ['kl']],
    ['Clip fractions', 'share of tokens', ['clip_frac_low', 'clip_frac_high']],
    ['Response length', 'tokens', ['response_length_mean', 'response_length_max']],
    ['Responses cut at the length limit', 'share', ['response_clipped_share']],
    ['Gradient norm (pre-clip)', 'norm', ['grad_norm']],
    ['Learning rate', 'lr', ['lr']],
    ['Throughput', 'tokens / s', ['tokens_per_s']],
    ['Time split', 'seconds', ['time_generate_s', 'time_score_s', 'time_update_s']],
    ['Policy loss', 'loss', ['pg_loss']],
    ['Reward spread', 'std', ['reward_std']],
    ['Batch (dynamic sampling)', 'count', ['groups', 'groups_filtered', 'gen_batches']],
    ['Completion tokens per step', 'tokens', ['completion_tokens']],
  ];
  function panelKeys(keys, matchers) {
    var out = [];
    matchers.forEach(function (m) {
      keys.forEach(function (k) {
        if ((typeof m === 'string' ? k === m : m.test(k)) && out.indexOf(k) === -1) out.push(k);
      });
    });
    return out;
  }
  // Columnar metrics of one run, extended by polling.
  function MetricsData() {
    this.generation = null;
    this.keys = [];
    this.columns = {};
    this.rows = 0;
  }
  MetricsData.prototype.add = function (slice) {
    var added = slice.next - slice.from;
    if (slice.from !== this.rows || slice.generation !== this.generation) {
      // the log was replaced (a resume truncated it): start over
      this.keys = [];
      this.columns = {};
      this.rows = 0;
      this.generation = slice.generation;
      if (slice.from !== 0) return false;
    }
    slice.keys.forEach((k) => {
      if (this.keys.indexOf(k) === -1) {
        this.keys.push(k);
        this.columns[k] = new Array(this.rows).fill(null);
      }
    });
    this.keys.forEach((k) => {
      var col = slice.columns[k] || new Array(added).fill(null);
      for (var i = 0; i < col.length; i++) this.columns[k].push(col[i]);
    });
    this.rows = slice.next;
    return true;
  };
  MetricsData.prototype.hasTime = function () {
    return !!this.columns.time_generate_s;
  };
  MetricsData.prototype.xs = function (axis) {
    var steps = this.columns.step || [];
    if (axis !== 'time')
      return steps.map(function (s, i) {
        return s === null ? i + 1 : s;
      });
    var t = 0;
    var c = this.columns;
    return steps.map(function (_, i) {
      t += (c.time_generate_s[i] || 0) + ((c.time_score_s || [])[i] || 0) + ((c.time_update_s || [])[i] || 0);
      return t / 60;
    });
  };
  MetricsData.prototype.points = function (key, axis, weight) {
    var xs = this.xs(axis);
    var col = this.columns[key] || [];
    var pts = [];
    for (var i = 0; i < col.length; i++) if (col[i] !== null) pts.push([xs[i], col[i]]);
    return lttb(smooth(pts, weight), MAX_POINTS);
  };

  function curveControls(onChange, hasTime) {
    var smoothing = h('input', {
      type: 'range',
      min: '0',
      max: '0.99',
      step: '0.01',
      value: '0',
      'aria-label': 'smoothing',
    });
    var smoothingLabel = h('span', { class: 'muted', text: '0.00' });
    var axis = h(
      'select',
      { 'aria-label': 'x axis' },
      h('option', { value: 'step', text: 'step' }),
      hasTime ? h('option', { value: 'time', text: 'time (min, from the step times)' }) : null,
    );
    smoothing.addEventListener('input', function () {
      smoothingLabel.textContent = Number(smoothing.value).toFixed(2);
      onChange();
    });
    axis.addEventListener('change', onChange);
    return {
      el: h(
        'div',
        { class: 'controls' },
        h('label', null, 'smoothing (EMA) ', smoothing, ' ', smoothingLabel),
        h('label', null, 'x axis ', axis),
      ),
      weight: function () {
        return Number(smoothing.value);
      },
      axis: function () {
        return axis.value;
      },
    };
  }

  function runCurves(container, data) {
    var drawn = {};
    var grid = h('div', { class: 'chart-grid' });
    var controls = curveControls(redraw, data.hasTime());
    container.appendChild(controls.el);
    container.appendChild(grid);
    function specsFor() {
      var used = { step: true };
      var specs = [];
      GRPO_PANELS.forEach(function (p) {
        var keys = panelKeys(data.keys, p[2]);
        keys.forEach(function (k) {
          used[k] = true;
        });
        if (keys.length) specs.push({ title: p[0], yLabel: p[1], keys: keys });
      });
      data.keys.forEach(function (k) {
        if (!used[k]) specs.push({ title: k, yLabel: k, keys: [k] });
      });
      return specs;
    }
    function redraw() {
      var axis = controls.axis();
      specsFor().forEach(function (p) {
        var series = p.keys
          .map(function (k) {
            return { name: k, points: data.points(k, axis, controls.weight()) };
          })
          .filter(function (s) {
            return s.points.length;
          });
        if (!series.length) return;
        var spec = {
          kind: 'line',
          title: p.title,
          xLabel: axis === 'time' ? 'minutes' : 'step',
          yLabel: p.yLabel,
          series: series,
        };
        if (drawn[p.title]) drawn[p.title].update(spec);
        else drawn[p.title] = drawChart(grid, spec);
      });
    }
    redraw();
    return { redraw: redraw };
  }

  // ---------- samples browser ----------
  function samplesBrowser(container, runId, sources) {
    if (!sources.length) return null;
    var source = sources[0].name;
    var cursors = []; // stack of page starts, for "previous page"
    var cursor;
    var lastLines = -1;
    var el = {};
    var sourceSel = h(
      'select',
      {
        'aria-label': 'samples source',
        onchange: function () {
          source = sourceSel.value;
          reset();
        },
      },
      sources.map(function (s) {
        return h('option', { value: s.name, text: s.name + ' (' + s.file + ')' });
      }),
    );
    el.stepMin = h('input', {
      type: 'number',
      placeholder: 'from step',
      'aria-label': 'from step',
      class: 'num-in',
    });
    el.stepMax = h('input', {
      type: 'number',
      placeholder: 'to step',
      'aria-label': 'to step',
      class: 'num-in',
    });
    el.correct = h(
      'select',
      { 'aria-label': 'correct' },
      h('option', { value: 'any', text: 'correct or not' }),
      h('option', { value: 'correct', text: 'a correct completion' }),
      h('option', { value: 'incorrect', text: 'an incorrect completion' }),
    );
    el.component = h(
      'select',
      { 'aria-label': 'reward component' },
      h('option', { value: '', text: 'any reward component' }),
    );
    el.componentOp = h(
      'select',
      { 'aria-label': 'component condition' },
      h('option', { value: 'positive', text: '> 0' }),
      h('option', { value: 'zero', text: '≤ 0' }),
    );
    el.finish = h(
      'select',
      { 'aria-label': 'finish reason' },
      h('option', { value: '', text: 'any finish' }),
      h('option', { value: 'stop', text: 'stop' }),
      h('option', { value: 'length', text: 'length (cut)' }),
    );
    el.q = h('input', { type: 'search', placeholder: 'search text', 'aria-label': 'search text' });
    el.order = h(
      'select',
      { 'aria-label': 'order' },
      h('option', { value: 'desc', text: 'newest first' }),
      h('option', { value: 'asc', text: 'oldest first' }),
    );
    var form = h(
      'form',
      {
        class: 'controls filters',
        onsubmit: function (e) {
          e.preventDefault();
          reset();
        },
      },
      sources.length > 1 ? sourceSel : null,
      el.stepMin,
      el.stepMax,
      el.correct,
      el.component,
      el.componentOp,
      el.finish,
      el.q,
      el.order,
      h('button', { type: 'submit', text: 'apply' }),
    );
    var info = h('div', { class: 'muted samples-info' });
    var list = h('div', { class: 'samples' });
    var prev = h('button', {
      type: 'button',
      text: '← previous page',
      onclick: function () {
        if (cursors.length > 1) {
          cursors.pop();
          cursor = cursors[cursors.length - 1];
          load();
        }
      },
    });
    var next = h('button', { type: 'button', text: 'next page →' });
    var pager = h('div', { class: 'controls' }, prev, next);
    container.appendChild(form);
    container.appendChild(info);
    container.appendChild(list);
    container.appendChild(pager);
    var nextCursor = null;
    next.addEventListener('click', function () {
      if (nextCursor === null) return;
      cursor = nextCursor;
      cursors.push(cursor);
      load();
    });
    function reset() {
      cursor = undefined;
      cursors = [undefined];
      load();
    }
    function query() {
      var q = {
        id: runId,
        source: source,
        order: el.order.value,
        limit: String(PAGE_SIZE),
        correct: el.correct.value,
        component_op: el.componentOp.value,
      };
      if (cursor !== undefined) q.cursor = String(cursor);
      if (el.stepMin.value !== '') q.step_min = el.stepMin.value;
      if (el.stepMax.value !== '') q.step_max = el.stepMax.value;
      if (el.component.value) q.component = el.component.value;
      if (el.finish.value) q.finish = el.finish.value;
      if (el.q.value.trim()) q.q = el.q.value.trim();
      return q;
    }
    var loading = null;
    var busy = false;
    function load() {
      busy = true;
      var p = api('/api/samples', query())
        .then(render, function (err) {
          clear(list).appendChild(errorBox([String(err.message || err)]));
        })
        .then(function () {
          busy = false;
        });
      loading = p;
      return p;
    }
    function render(page) {
      lastLines = page.lines;
      state.samplesLines = page.lines;
      var hasSteps = page.steps !== null;
      el.stepMin.hidden = el.stepMax.hidden = !hasSteps;
      el.component.hidden = el.componentOp.hidden = !page.components.length;
      var chosen = el.component.value;
      clear(el.component).appendChild(h('option', { value: '', text: 'any reward component' }));
      page.components.forEach(function (c) {
        el.component.appendChild(h('option', { value: c, text: c }));
      });
      el.component.value = chosen;
      clear(info);
      append(info, [
        page.lines + ' groups in ' + page.source.file,
        hasSteps ? ' · steps ' + page.steps.min + '–' + page.steps.max : '',
        page.total !== null ? ' · ' + page.total + ' matching' : '',
        ' · showing ' + page.groups.length,
        page.next !== null && page.total === null ? ' (more may match: next page continues the search)' : '',
      ]);
      if (page.errors.length) info.appendChild(errorBox(page.errors));
      nextCursor = page.next;
      next.disabled = page.next === null;
      prev.disabled = cursors.length <= 1;
      clear(list);
      if (!page.groups.length) list.appendChild(h('p', { class: 'muted', text: 'no samples match' }));
      page.groups.forEach(function (g) {
        list.appendChild(groupCard(g, page));
      });
      state.samplesShown = page.groups.map(function (g) {
        return g.id + '@' + g.step;
      });
      performance.mark('rlvr:samples-shown');
      state.ready = true;
    }
    function groupCard(g, page) {
      var head = h(
        'div',
        { class: 'group-head' },
        g.step !== null ? h('span', { class: 'badge', text: 'step ' + g.step }) : null,
        h('span', { class: 'group-id', text: g.id }),
        g.gold !== null
          ? h(
              'span',
              { class: 'gold' },
              page.source.kind === 'probe' ? 'remainder: ' : 'gold: ',
              h('code', { text: g.gold }),
            )
          : null,
        h('span', { class: 'muted', text: 'line ' + g.line }),
      );
      var rows = g.completions.map(function (c, k) {
        var comps = c.components
          ? Object.keys(c.components)
              .map(function (n) {
                return n + ' ' + fmt(c.components[n]);
              })
              .join(', ')
          : '';
        var extra = c.extra
          ? Object.keys(c.extra)
              .filter(function (n) {
                return c.extra[n] !== null && n !== 'sample';
              })
              .map(function (n) {
                return n + ': ' + (typeof c.extra[n] === 'number' ? fmt(c.extra[n]) : String(c.extra[n]));
              })
              .join(' · ')
          : '';
        var text = h(
          'pre',
          {
            class: 'completion',
            title: 'click to expand',
            onclick: function () {
              text.classList.toggle('open');
            },
          },
          c.text,
        );
        return h(
          'tr',
          { class: c.correct === true ? 'ok' : c.correct === false ? 'bad' : '' },
          h('td', {
            class: 'num',
            text: c.extra && typeof c.extra.sample === 'number' ? String(c.extra.sample) : String(k),
          }),
          h('td', { class: 'num', text: c.reward === undefined ? '—' : fmt(c.reward) }),
          h('td', { class: 'small', text: comps || extra || '—' }),
          h('td', { text: c.correct === true ? '✓' : c.correct === false ? '✗' : '—' }),
          h('td', { class: 'num', text: c.advantage === undefined ? '—' : fmt(c.advantage) }),
          h('td', { text: c.finish_reason || '—' }),
          h('td', { class: 'text-cell' }, text),
        );
      });
      return h(
        'article',
        { class: 'group' },
        head,
        h('pre', { class: 'prompt' }, g.prompt),
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'completions' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                [
                  '#',
                  'reward',
                  page.source.kind === 'train' ? 'components' : 'details',
                  'correct',
                  'advantage',
                  'finish',
                  'completion',
                ].map(function (c) {
                  return h('th', { text: c });
                }),
              ),
            ),
            h('tbody', null, rows),
          ),
        ),
      );
    }
    reset();
    return {
      // called by the page's poll: a new line shows at once on the first page of "newest first"
      linesChanged: function (lines) {
        if (lines === lastLines || cursor !== undefined || el.order.value !== 'desc' || !loading) return;
        if (!busy)
          load(); // at once, not after the caller's redraw
        else
          loading.then(function () {
            if (lines !== lastLines) load();
          });
      },
      source: function () {
        return sources.find(function (s) {
          return s.name === source;
        });
      },
    };
  }

  // ---------- runs list ----------
  function runsPage() {
    crumbs.textContent = 'runs';
    var filter = h('input', {
      type: 'search',
      placeholder: 'filter by id, model, reward, dataset…',
      'aria-label': 'filter runs',
      class: 'grow',
    });
    var kindSel = h(
      'select',
      { 'aria-label': 'kind' },
      ['all kinds', 'grpo', 'sft', 'eval', 'contamination', 'perplexity', 'suite', 'demo', 'other'].map(
        function (k, i) {
          return h('option', { value: i ? k : '', text: k });
        },
      ),
    );
    var statusSel = h(
      'select',
      { 'aria-label': 'status' },
      ['any status', 'running', 'finished', 'interrupted'].map(function (k, i) {
        return h('option', { value: i ? k : '', text: k });
      }),
    );
    var compareBtn = h('button', { type: 'button', text: 'compare selected', disabled: true });
    var metricSel = h('select', {
      'aria-label': 'sort by metric',
      onchange: function () {
        if (metricSel.value) {
          sortKey = 'm:' + metricSel.value;
          sortDir = -1;
        } else {
          sortKey = 'id';
          sortDir = 1;
        }
        render();
      },
    });
    var selected = {};
    var sortKey = 'id';
    var sortDir = 1;
    var runs = [];
    var root = '';
    var body = h('div');
    clear(app);
    app.appendChild(
      h(
        'section',
        { class: 'panel' },
        h('div', { class: 'controls' }, filter, kindSel, statusSel, metricSel, compareBtn),
        body,
      ),
    );
    [filter, kindSel, statusSel].forEach(function (c) {
      c.addEventListener('input', render);
    });
    compareBtn.addEventListener('click', function () {
      location.href =
        '/compare?' +
        Object.keys(selected)
          .map(function (id) {
            return 'id=' + encodeURIComponent(id);
          })
          .join('&');
    });
    function text(r) {
      return [r.id, r.kind, r.status]
        .concat(
          Object.keys(r.config).map(function (k) {
            return String(r.config[k]);
          }),
        )
        .join(' ')
        .toLowerCase();
    }
    function sortValue(r) {
      if (sortKey === 'lastWrite') return r.lastWrite || 0;
      if (sortKey.indexOf('m:') === 0) {
        var v = r.metrics[sortKey.slice(2)];
        return typeof v === 'number' ? v : -Infinity;
      }
      return String(r[sortKey] || '');
    }
    function render() {
      var needle = filter.value.trim().toLowerCase();
      var shown = runs.filter(function (r) {
        return (
          (!needle || text(r).indexOf(needle) !== -1) &&
          (!kindSel.value || r.kind === kindSel.value) &&
          (!statusSel.value || r.status === statusSel.value)
        );
      });
      shown.sort(function (a, b) {
        var x = sortValue(a),
          y = sortValue(b);
        return (x < y ? -1 : x > y ? 1 : 0) * sortDir;
      });
      var metricKeys = [];
      runs.forEach(function (r) {
        Object.keys(r.metrics).forEach(function (k) {
          if (metricKeys.indexOf(k) === -1) metricKeys.push(k);
        });
      });
      var chosen = metricSel.value;
      clear(metricSel).appendChild(h('option', { value: '', text: 'sort by a last metric…' }));
      metricKeys.forEach(function (k) {
        metricSel.appendChild(h('option', { value: k, text: k }));
      });
      metricSel.value = chosen;
      function th(label, key) {
        return h(
          'th',
          {
            class: 'sortable' + (sortKey === key ? ' sorted' : ''),
            onclick: function () {
              sortDir = sortKey === key ? -sortDir : key === 'lastWrite' || key.indexOf('m:') === 0 ? -1 : 1;
              sortKey = key;
              render();
            },
          },
          label + (sortKey === key ? (sortDir > 0 ? ' ▲' : ' ▼') : ''),
        );
      }
      var rows = shown.map(function (r) {
        var canCompare = r.kind === 'grpo' || r.kind === 'sft';
        var box = canCompare
          ? h('input', {
              type: 'checkbox',
              'aria-label': 'select ' + r.id,
              onchange: function (e) {
                if (e.target.checked) selected[r.id] = true;
                else delete selected[r.id];
                update();
              },
            })
          : null;
        if (box && selected[r.id]) box.checked = true;
        return h(
          'tr',
          { 'data-run': r.id, class: r.errors.length ? 'has-error' : '' },
          h('td', null, box),
          h(
            'td',
            null,
            h('a', { href: runHref(r.id), text: r.id }),
            r.errors.length ? h('div', { class: 'row-error', text: r.errors.join(' · ') }) : null,
          ),
          h('td', null, h('span', { class: 'kind kind-' + r.kind, text: r.kind })),
          h(
            'td',
            null,
            h('span', { class: 'status status-' + r.status, text: r.status }),
            r.progress ? h('div', { class: 'muted small', text: r.progress }) : null,
          ),
          h(
            'td',
            { class: 'small' },
            Object.keys(r.config)
              .filter(function (k) {
                return r.config[k] !== null && r.config[k] !== '';
              })
              .map(function (k) {
                return h('span', { class: 'chip' }, h('b', { text: k }), ' ' + r.config[k]);
              }),
          ),
          h(
            'td',
            { class: 'small' },
            Object.keys(r.metrics)
              .filter(function (k) {
                return r.metrics[k] !== null;
              })
              .map(function (k) {
                return h(
                  'span',
                  { class: 'chip' + (sortKey === 'm:' + k ? ' sorted' : '') },
                  h('b', { text: k }),
                  ' ' + fmt(r.metrics[k]),
                );
              }),
          ),
          h('td', { class: 'small', text: ago(r.lastWrite) }),
        );
      });
      clear(body);
      body.appendChild(
        h('p', {
          class: 'muted',
          text:
            runs.length +
            ' runs under ' +
            root +
            (shown.length !== runs.length ? ' · ' + shown.length + ' shown' : ''),
        }),
      );
      if (!runs.length)
        body.appendChild(
          h('p', {
            text: 'No run directories found yet (a directory is a run when it holds metrics.jsonl, config.yaml with samples or checkpoints, results.json, summary.json, perplexity.json or demo.json). Runs written later appear here by themselves.',
          }),
        );
      body.appendChild(
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'runs' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                h('th'),
                th('run', 'id'),
                th('kind', 'kind'),
                th('status', 'status'),
                h('th', { text: 'config' }),
                h('th', { text: 'last metrics' }),
                th('last write', 'lastWrite'),
              ),
            ),
            h('tbody', null, rows),
          ),
        ),
      );
      update();
    }
    function update() {
      var n = Object.keys(selected).length;
      compareBtn.disabled = n < 2 || n > 6;
      compareBtn.textContent = 'compare selected (' + n + (n > 6 ? ', at most 6' : '') + ')';
    }
    function refresh() {
      return api('/api/runs').then(function (r) {
        runs = r.runs;
        root = r.root;
        render();
        state.ready = true;
      });
    }
    refresh().catch(fail);
    setInterval(function () {
      refresh().catch(function () {});
    }, LIST_POLL_MS);
  }

  // ---------- run page ----------
  function header(run) {
    var s = run.summary;
    return h(
      'section',
      { class: 'panel run-head' },
      h('h1', null, h('span', { class: 'kind kind-' + s.kind, text: s.kind }), ' ', s.id),
      h(
        'div',
        { class: 'controls' },
        h('span', { class: 'status status-' + s.status, id: 'run-status', text: s.status }),
        h('span', {
          class: 'muted',
          id: 'run-progress',
          text: (s.progress || '') + ' · last write ' + ago(s.lastWrite),
        }),
        s.parent ? h('a', { href: runHref(s.parent), text: 'part of ' + s.parent }) : null,
      ),
      h(
        'div',
        { class: 'small' },
        Object.keys(s.config)
          .filter(function (k) {
            return s.config[k] !== null;
          })
          .map(function (k) {
            return h('span', { class: 'chip' }, h('b', { text: k }), ' ' + s.config[k]);
          }),
      ),
      errorBox(s.errors.concat(run.errors)),
    );
  }

  function childrenSection(run) {
    if (!run.children.length) return;
    var sec = section('Parts of this run');
    sec.appendChild(
      h(
        'ul',
        { class: 'children' },
        run.children.map(function (c) {
          return h(
            'li',
            null,
            h('span', { class: 'kind kind-' + c.kind, text: c.kind }),
            ' ',
            h('a', { href: runHref(c.id), text: c.id }),
          );
        }),
      ),
    );
    var variants = run.children.filter(function (c) {
      return c.kind === 'grpo' || c.kind === 'sft';
    });
    if (variants.length >= 2)
      sec.appendChild(
        h(
          'p',
          null,
          h('a', {
            href:
              '/compare?' +
              variants
                .slice(0, 6)
                .map(function (c) {
                  return 'id=' + encodeURIComponent(c.id);
                })
                .join('&'),
            text: 'compare the curves of ' + Math.min(6, variants.length) + ' training runs',
          }),
        ),
      );
  }

  function otherJsonSection(run) {
    if (!run.otherJson.length) return;
    var sec = section('Other outputs (JSON)');
    run.otherJson.forEach(function (f) {
      var out = h('div');
      var btn = h('button', {
        type: 'button',
        text: 'show ' + f,
        onclick: function () {
          api('/api/json', { id: run.summary.id, file: f }).then(
            function (r) {
              clear(out).appendChild(r.error ? errorBox([r.error]) : jsonTree(r.value, 0));
            },
            function (err) {
              clear(out).appendChild(errorBox([err.message]));
            },
          );
        },
      });
      sec.appendChild(h('div', { class: 'json-file' }, btn, out));
    });
  }

  // A generic, collapsible view of any JSON value (used for outputs without a dedicated view).
  function jsonTree(v, depth) {
    if (v === null || typeof v !== 'object')
      return h('span', { class: 'json-' + (v === null ? 'null' : typeof v), text: JSON.stringify(v) });
    var keys = Object.keys(v);
    var isArray = Array.isArray(v);
    var details = h(
      'details',
      { open: depth < 2 },
      h('summary', { text: isArray ? 'array [' + v.length + ']' : 'object {' + keys.length + '}' }),
    );
    var shown = keys.slice(0, 500);
    details.appendChild(
      h(
        'ul',
        { class: 'json' },
        shown.map(function (k) {
          return h('li', null, h('span', { class: 'json-key', text: k + ': ' }), jsonTree(v[k], depth + 1));
        }),
        keys.length > shown.length
          ? h('li', { class: 'muted', text: '… ' + (keys.length - shown.length) + ' more' })
          : null,
      ),
    );
    return details;
  }

  function trainView(run) {
    var data = new MetricsData();
    var curvesSec = section('Curves');
    var samplesSec;
    var curves = null;
    var browser = null;
    var statusEl = document.getElementById('run-status');
    var progressEl = document.getElementById('run-progress');
    function poll() {
      return api('/api/metrics', { id: run.summary.id, from: String(data.rows) }).then(function (r) {
        var changed = r.metrics.next !== data.rows || r.metrics.from !== data.rows;
        if (!data.add(r.metrics))
          return api('/api/metrics', { id: run.summary.id, from: '0' }).then(function (full) {
            data.add(full.metrics);
            state.metricsRows = data.rows;
            if (curves) curves.redraw();
          });
        state.metricsRows = data.rows;
        // the samples request goes out first: the server reads the new lines while the page redraws
        if (browser) {
          var src = browser.source();
          if (src && r.samples[src.file] !== undefined) browser.linesChanged(r.samples[src.file]);
        }
        if (changed && curves) curves.redraw();
        statusEl.textContent = r.summary.status;
        statusEl.className = 'status status-' + r.summary.status;
        progressEl.textContent = (r.summary.progress || '') + ' · last write ' + ago(r.summary.lastWrite);
      });
    }
    return poll().then(function () {
      if (!data.rows)
        curvesSec.appendChild(
          h('p', { class: 'muted', text: 'no metrics yet: curves appear as metrics.jsonl grows' }),
        );
      // the samples request goes out before the curves are drawn, so the server indexes while the page draws
      samplesSec = section('Samples');
      browser = samplesBrowser(samplesSec, run.summary.id, run.sources);
      performance.mark('rlvr:metrics-loaded');
      curves = runCurves(curvesSec, data);
      performance.mark('rlvr:curves-drawn');
      if (run.checkpoints.length)
        section('Checkpoints').appendChild(
          h('p', {
            text: run.checkpoints
              .map(function (s) {
                return 'step-' + s;
              })
              .join(' · '),
          }),
        );
      if (run.configText !== null)
        section('config.yaml').appendChild(
          h(
            'details',
            null,
            h('summary', { text: 'resolved config' }),
            h('pre', { class: 'config', text: run.configText }),
          ),
        );
      (function loop() {
        setTimeout(function () {
          poll().then(loop, loop);
        }, POLL_MS);
      })();
      state.ready = true;
    });
  }

  function evalView(run) {
    var r = run.documents['results.json'];
    if (r) {
      var m = r.metrics || {};
      var c = r.counts || {};
      var sec = section('Results');
      sec.appendChild(
        statTiles([
          ['pass@1', estimateText(m['pass@1'])],
          ['greedy accuracy', estimateText(m.greedy_accuracy)],
          ['format rate', estimateText(m.format_rate)],
          ['items × samples', (c.items || '?') + ' × ' + (c.samples_per_item || '?')],
          ['mean response tokens', estimateText(m.mean_response_tokens)],
          [
            'finish: stop / length',
            c.finish_reason ? (c.finish_reason.stop || 0) + ' / ' + (c.finish_reason.length || 0) : '—',
          ],
        ]),
      );
      var ks = Object.keys(m['pass@k'] || {});
      var cons = m['cons@k'] || {};
      ks = ks
        .concat(
          Object.keys(cons).filter(function (k) {
            return ks.indexOf(k) === -1;
          }),
        )
        .sort(function (a, b) {
          return a - b;
        });
      if (ks.length)
        drawChart(sec, {
          kind: 'bar',
          title: 'pass@k and cons@k (95% CI)',
          caption: 'pass@k: unbiased estimator; cons@k: majority vote over the first k samples',
          yLabel: 'accuracy',
          categories: ks.map(function (k) {
            return 'k=' + k;
          }),
          series: [
            {
              name: 'pass@k',
              values: ks.map(function (k) {
                return barValue((m['pass@k'] || {})[k]);
              }),
            },
            {
              name: 'cons@k',
              values: ks.map(function (k) {
                return barValue(cons[k]);
              }),
            },
          ],
        });
      var rows = [];
      Object.keys(m).forEach(function (k) {
        var v = m[k];
        if (v && typeof v.value === 'number')
          rows.push([k, v.value, v.ci ? v.ci[0] : null, v.ci ? v.ci[1] : null]);
        else if (v && typeof v === 'object')
          Object.keys(v).forEach(function (kk) {
            if (v[kk] && typeof v[kk].value === 'number')
              rows.push([
                k.replace('@k', '@' + kk),
                v[kk].value,
                v[kk].ci ? v[kk].ci[0] : null,
                v[kk].ci ? v[kk].ci[1] : null,
              ]);
          });
      });
      sec.appendChild(table(['metric', 'value', 'CI low', 'CI high'], rows));
      Object.keys(r.breakdowns || {}).forEach(function (dim) {
        var groups = r.breakdowns[dim];
        var cats = Object.keys(groups);
        if (!cats.length) return;
        var bsec = section('By ' + dim);
        drawChart(bsec, {
          kind: 'bar',
          title: 'pass@1 by ' + dim + ' (95% CI)',
          yLabel: 'pass@1',
          categories: cats,
          series: [
            {
              name: 'pass@1',
              values: cats.map(function (k) {
                return barValue(groups[k]['pass@1']);
              }),
            },
          ],
        });
        bsec.appendChild(
          table(
            [dim, 'items', 'pass@1', 'CI', 'format rate'],
            cats.map(function (k) {
              var g = groups[k];
              return [
                k,
                g.counts ? g.counts.items : null,
                g['pass@1'] ? g['pass@1'].value : null,
                g['pass@1'] && g['pass@1'].ci ? fmt(g['pass@1'].ci[0]) + ' – ' + fmt(g['pass@1'].ci[1]) : '—',
                g.format_rate ? g.format_rate.value : null,
              ];
            }),
          ),
        );
      });
      var cfg = section('Settings and timing');
      cfg.appendChild(
        table(
          ['setting', 'value'],
          Object.keys(r.config || {}).map(function (k) {
            return [
              k,
              typeof r.config[k] === 'object' && r.config[k] !== null
                ? JSON.stringify(r.config[k])
                : r.config[k],
            ];
          }),
        ),
      );
      if (r.timing)
        cfg.appendChild(
          table(
            ['timing', 'value'],
            Object.keys(r.timing).map(function (k) {
              return [k, r.timing[k]];
            }),
          ),
        );
    } else {
      section('Results').appendChild(
        h('p', {
          class: 'muted',
          text: 'no results.json yet: the evaluation has not finished; its samples so far are below',
        }),
      );
    }
    var samplesSec = section('Samples (with extracted answers)');
    var browser = samplesBrowser(samplesSec, run.summary.id, run.sources);
    if (!r)
      (function loop() {
        setTimeout(function () {
          api('/api/metrics', { id: run.summary.id, from: '0' })
            .then(function (p) {
              var src = browser && browser.source();
              if (src && p.samples[src.file] !== undefined) browser.linesChanged(p.samples[src.file]);
            })
            .then(loop, loop);
        }, POLL_MS);
      })();
    state.ready = true;
  }

  function contaminationView(run) {
    var s = run.documents['summary.json'];
    if (!s) return;
    var ratios = s.ratios || [];
    var labeled = ratios.length && ratios[0].by_label;
    var cats = ratios.map(function (r) {
      return 'prefix ' + r.prefix_ratio;
    });
    var sec = section('Contamination probe');
    sec.appendChild(
      statTiles([
        ['dataset', s.dataset || '—'],
        // the demo's probe summary has no counts: its config lists the item ids
        [
          'items',
          fmt(
            (s.counts || {}).items ??
              (s.config && Array.isArray(s.config.items) ? s.config.items.length : null),
          ),
        ],
        ['leaked (labelled)', fmt((s.counts || {}).leaked)],
        ['skipped', fmt(Array.isArray(s.skipped) ? s.skipped.length : (s.counts || {}).skipped)],
      ]),
    );
    var grid = h('div', { class: 'chart-grid' });
    sec.appendChild(grid);
    [
      ['rouge_l', 'ROUGE-L of the continuation vs the remainder'],
      ['exact_match', 'Exact match of the remainder'],
      ['answer_accuracy', 'Answer accuracy of the continuation'],
    ].forEach(function (m) {
      var series = labeled
        ? ['leaked', 'clean'].map(function (l) {
            return {
              name: l,
              values: ratios.map(function (r) {
                return barValue(r.by_label[l][m[0]]);
              }),
            };
          })
        : [
            {
              name: 'all items',
              values: ratios.map(function (r) {
                return barValue(r[m[0]]);
              }),
            },
          ];
      drawChart(grid, {
        kind: 'bar',
        title: m[1] + ' (95% CI)',
        yLabel: m[0],
        categories: cats,
        series: series,
      });
    });
    if (
      ratios.some(function (r) {
        return r.auroc;
      })
    )
      sec.appendChild(
        table(
          ['prefix ratio', 'AUROC ROUGE-L', 'AUROC exact match', 'AUROC answer'],
          ratios.map(function (r) {
            var a = r.auroc || {};
            return [r.prefix_ratio, a.rouge_l, a.exact_match, a.answer_correct];
          }),
        ),
      );
    var samplesSec = section('Probe items');
    samplesBrowser(samplesSec, run.summary.id, run.sources);
    state.ready = true;
  }

  // perplexity.json of `rlvr audit perplexity` ({label, step, answer_ppl, …}) or of the demo ({variant, step, summary})
  function perplexityCharts(container, checkpoints) {
    var points = checkpoints.map(function (c, i) {
      return {
        group: c.variant || 'run',
        step: typeof c.step === 'number' ? c.step : i,
        stats: c.summary || c,
      };
    });
    var labeled = points.length && points[0].stats.by_label;
    var grid = h('div', { class: 'chart-grid' });
    container.appendChild(grid);
    [
      ['answer_ppl', 'Answer perplexity'],
      ['prompt_ppl', 'Prompt perplexity'],
      ['full_ppl', 'Full-text perplexity'],
    ].forEach(function (m) {
      var series = [];
      var groups = [];
      points.forEach(function (p) {
        if (groups.indexOf(p.group) === -1) groups.push(p.group);
      });
      groups.forEach(function (g) {
        (labeled ? ['leaked', 'clean'] : [null]).forEach(function (label) {
          var pts = points
            .filter(function (p) {
              return p.group === g || (p.group === 'initial' && g !== 'initial');
            })
            .map(function (p) {
              var st = label ? (p.stats.by_label || {})[label] : p.stats;
              var v = st && st[m[0]] && st[m[0]].median ? st[m[0]].median.value : null;
              return [p.step, typeof v === 'number' ? v : null];
            })
            .sort(function (a, b) {
              return a[0] - b[0];
            });
          if (g === 'initial' && groups.length > 1) return;
          series.push({
            name:
              (groups.length > 1 ? g : '') +
              (label ? (groups.length > 1 ? ' · ' : '') + label : groups.length > 1 ? '' : 'median'),
            points: pts,
          });
        });
      });
      drawChart(grid, {
        kind: 'line',
        title: m[1] + ' (median over items)',
        xLabel: 'step (0 = starting model)',
        yLabel: 'perplexity',
        series: series,
      });
    });
  }

  function perplexityView(run) {
    var p = run.documents['perplexity.json'];
    if (!p) return;
    var sec = section('Perplexity per checkpoint');
    perplexityCharts(sec, p.checkpoints || []);
    state.ready = true;
  }

  function suiteView(run) {
    var s = run.documents['summary.json'];
    if (!s) {
      section('Spurious-reward suite').appendChild(
        h('p', {
          class: 'muted',
          text: 'no summary.json yet: the suite is still training or evaluating; its runs are listed below',
        }),
      );
      return;
    }
    var sec = section('Verdict');
    sec.appendChild(
      h(
        'div',
        { class: 'callout' },
        h('p', null, h('b', { text: (s.verdict || {}).rule || '' }), ': ', (s.verdict || {}).text || ''),
        ((s.verdict || {}).notes || []).map(function (n) {
          return h('p', { class: 'small', text: n });
        }),
      ),
    );
    var variants = s.variants || [];
    var roles = ['suspect', 'clean'];
    var gsec = section('Gains (final checkpoint − start, paired 95% CI, percentage points)');
    drawChart(gsec, {
      kind: 'bar',
      title: 'Accuracy gain per variant',
      yLabel: 'points',
      categories: variants.map(function (v) {
        return v.variant;
      }),
      series: roles.map(function (r) {
        return {
          name: r + ' (' + ((s.benchmarks || {})[r] || {}).name + ')',
          values: variants.map(function (v) {
            return v[r] ? barValue(v[r].gain, 100) : { value: null };
          }),
        };
      }),
    });
    gsec.appendChild(
      table(
        [
          'variant',
          'action',
          'final step',
          'suspect before → after',
          'suspect gain [CI]',
          'trend',
          'clean before → after',
          'clean gain [CI]',
          'trend',
        ],
        variants.map(function (v) {
          function cells(r) {
            var x = v[r] || {};
            return [
              estimateText(x.before) + ' → ' + estimateText(x.after),
              estimateText(x.gain),
              x.trend || '—',
            ];
          }
          var childId = (run.summary.id === '.' ? '' : run.summary.id + '/') + 'runs/' + v.variant;
          var known = run.children.some(function (c) {
            return c.id === childId;
          });
          return [
            known ? h('a', { href: runHref(childId), text: v.variant }) : v.variant,
            v.action,
            v.final_step,
          ].concat(cells('suspect'), cells('clean'));
        }),
      ),
    );
    var csec = section('Accuracy per checkpoint');
    var grid = h('div', { class: 'chart-grid' });
    csec.appendChild(grid);
    roles.forEach(function (r) {
      var curves = (s.curves || []).filter(function (c) {
        return c.benchmark === r;
      });
      if (curves.length)
        drawChart(grid, {
          kind: 'line',
          title: r.toUpperCase() + ' accuracy (greedy)',
          xLabel: 'step (0 = start)',
          yLabel: 'accuracy',
          series: curves.map(function (c) {
            return {
              name: c.variant,
              points: c.points.map(function (p) {
                return [p.step, p.accuracy.value];
              }),
            };
          }),
        });
    });
    var tsec = section('Training');
    var tgrid = h('div', { class: 'chart-grid' });
    tsec.appendChild(tgrid);
    [
      ['reward_mean', 'Training reward'],
      ['accuracy', 'Rollout accuracy (vs gold)'],
    ].forEach(function (m) {
      drawChart(tgrid, {
        kind: 'line',
        title: m[1],
        xLabel: 'step',
        yLabel: m[0],
        series: variants.map(function (v) {
          return {
            name: v.variant,
            points: (v.training || []).map(function (p) {
              return [p.step, typeof p[m[0]] === 'number' ? p[m[0]] : null];
            }),
          };
        }),
      });
    });
  }

  function demoView(run) {
    var d = run.documents['demo.json'];
    if (!d) {
      section('Demo').appendChild(
        h('p', {
          class: 'muted',
          text: 'no demo.json yet: the demo is running or was interrupted; its phases are listed below',
        }),
      );
      return;
    }
    var c = d.contamination || {};
    var sp = d.spurious || {};
    var sec = section('Headline numbers');
    function pair(x) {
      return x ? fmt(x.leaked) + ' / ' + fmt(x.clean) : '—';
    }
    sec.appendChild(
      statTiles([
        ['ROUGE-L leaked / clean', pair(c.rouge_l)],
        ['answer accuracy leaked / clean', pair(c.answer_accuracy)],
        ['AUROC (ROUGE-L)', fmt(c.auroc_rouge_l)],
        ['verdict', sp.verdict_rule || '—'],
      ]),
    );
    if (sp.verdict) sec.appendChild(h('div', { class: 'callout' }, h('p', { text: sp.verdict })));
    if (sp.variants)
      sec.appendChild(
        table(
          ['variant', 'suspect before → after', 'gain [CI]', 'clean before → after', 'gain [CI]'],
          sp.variants.map(function (v) {
            function cells(r) {
              var x = v[r] || {};
              return [
                fmt(x.before) + ' → ' + fmt(x.after),
                fmt(x.gain) + (x.ci ? ' [' + fmt(x.ci[0]) + ', ' + fmt(x.ci[1]) + ']' : ''),
              ];
            }
            return [v.variant].concat(cells('suspect'), cells('clean'));
          }),
        ),
      );
    var ppl = (d.perplexity || {}).answer_ppl_median;
    if (ppl)
      section('Answer perplexity (median)').appendChild(
        table(
          ['variant', 'step', 'leaked', 'clean'],
          ppl.map(function (p) {
            return [p.variant, p.step, p.leaked, p.clean];
          }),
        ),
      );
    var t = d.timing || {};
    if (t.phases)
      section('Timing').appendChild(
        table(
          ['phase', 'seconds', 'reused', 'RSS MB'],
          t.phases.map(function (p) {
            return [p.phase, p.seconds, String(p.reused), p.rss_mb];
          }),
        ),
      );
  }

  function runPage() {
    var id = params.get('id');
    if (!id) return fail('no run id in the address');
    crumbs.appendChild(h('a', { href: '/', text: 'runs' }));
    crumbs.appendChild(document.createTextNode(' / ' + id));
    document.title = id + ' · RLVR Lab dashboard';
    api('/api/run', { id: id })
      .then(function (run) {
        clear(app);
        app.appendChild(header(run));
        var k = run.summary.kind;
        var done = Promise.resolve();
        if (k === 'grpo' || k === 'sft' || k === 'train') done = trainView(run);
        else if (k === 'eval') evalView(run);
        else if (k === 'contamination') contaminationView(run);
        else if (k === 'perplexity') perplexityView(run);
        else if (k === 'suite') suiteView(run);
        else if (k === 'demo') demoView(run);
        return done.then(function () {
          childrenSection(run);
          otherJsonSection(run);
          if (!run.sources.length) state.ready = true;
        });
      })
      .catch(fail);
  }

  // ---------- compare ----------
  function comparePage() {
    var ids = params.getAll('id');
    crumbs.appendChild(h('a', { href: '/', text: 'runs' }));
    crumbs.appendChild(document.createTextNode(' / compare'));
    if (ids.length < 2 || ids.length > 6)
      return fail('compare takes 2 to 6 runs (id=…&id=…), got ' + ids.length);
    var datas = ids.map(function () {
      return new MetricsData();
    });
    var errors = {};
    clear(app);
    var head = section('Compare ' + ids.length + ' runs');
    head.appendChild(
      h(
        'ul',
        { class: 'children' },
        ids.map(function (id) {
          return h('li', null, h('a', { href: runHref(id), text: id }));
        }),
      ),
    );
    var errs = h('div');
    head.appendChild(errs);
    var curvesSec = section('Curves');
    var controls = null;
    var grid = h('div', { class: 'chart-grid' });
    var drawn = {};
    function pollAll() {
      return Promise.all(
        ids.map(function (id, i) {
          return api('/api/metrics', { id: id, from: String(datas[i].rows) }).then(
            function (r) {
              delete errors[id];
              if (!r.metrics) {
                errors[id] = id + ': not a training run (no metrics.jsonl curves)';
                return false;
              }
              if (!datas[i].add(r.metrics)) datas[i] = new MetricsData();
              if (r.metrics.errors.length) errors[id] = id + ': ' + r.metrics.errors.join(' · ');
              return r.metrics.next !== r.metrics.from;
            },
            function (err) {
              errors[id] = id + ': ' + err.message;
              return false;
            },
          );
        }),
      ).then(function (changed) {
        clear(errs);
        var list = Object.keys(errors).map(function (k) {
          return errors[k];
        });
        if (list.length) errs.appendChild(errorBox(list));
        state.metricsRows = datas.reduce(function (n, d) {
          return n + d.rows;
        }, 0);
        return changed.some(Boolean);
      });
    }
    function redraw() {
      var axis = controls.axis();
      var keys = [];
      datas.forEach(function (d) {
        d.keys.forEach(function (k) {
          if (k !== 'step' && keys.indexOf(k) === -1) keys.push(k);
        });
      });
      var ordered = [];
      GRPO_PANELS.forEach(function (p) {
        panelKeys(keys, p[2]).forEach(function (k) {
          if (ordered.indexOf(k) === -1) ordered.push(k);
        });
      });
      keys.forEach(function (k) {
        if (ordered.indexOf(k) === -1) ordered.push(k);
      });
      ordered.forEach(function (k) {
        var series = ids.map(function (id, i) {
          return {
            name: id,
            points: datas[i].points(
              k,
              axis === 'time' && datas[i].hasTime() ? 'time' : 'step',
              controls.weight(),
            ),
          };
        });
        if (
          !series.some(function (s) {
            return s.points.length;
          })
        )
          return;
        var spec = {
          kind: 'line',
          title: k,
          xLabel: axis === 'time' ? 'minutes' : 'step',
          yLabel: k,
          series: series,
        };
        if (drawn[k]) drawn[k].update(spec);
        else drawn[k] = drawChart(grid, spec);
      });
    }
    pollAll()
      .then(function () {
        controls = curveControls(
          redraw,
          datas.every(function (d) {
            return d.hasTime();
          }),
        );
        curvesSec.appendChild(controls.el);
        curvesSec.appendChild(grid);
        redraw();
        state.ready = true;
        (function loop() {
          setTimeout(function () {
            pollAll()
              .then(function (changed) {
                if (changed) redraw();
              })
              .then(loop, loop);
          }, POLL_MS * 2);
        })();
      })
      .catch(fail);
  }

  if (location.pathname === '/run') runPage();
  else if (location.pathname === '/compare') comparePage();
  else runsPage();
})();
