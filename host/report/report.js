/* report.js: draws an HTML report from its data (the JSON in #report-data that clcnn report
 * writes) with Chart.js. Inlined into every report. For tests and tools the page says what it
 * drew: each chart's canvas has data-chart (its name) and data-points (how many x values), the
 * confusion matrix's cells data-count, and <body> gets data-charts and data-rendered="1" when done
 * (errors land in #errors and body[data-errors], by the handler in <head>). */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var root = document.getElementById('report');
  var nCharts = 0;
  var palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2',
                 '#7f7f7f', '#bcbd22', '#17becf'];
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.size = 11;

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }
  function add(parent, tag, attrs, children) { var e = el(tag, attrs, children); parent.appendChild(e); return e; }
  function fmt(v, digits) {
    if (v === null || v === undefined || (typeof v === 'number' && !isFinite(v))) return '-';
    if (typeof v !== 'number' || Number.isInteger(v)) return String(v);
    if (digits === undefined) digits = 4;
    return Math.abs(v) !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6) ? v.toExponential(2) : v.toFixed(digits);
  }
  function pct(v) { return v === null || v === undefined ? '-' : (100 * v).toFixed(2) + '%'; }
  function seconds(s) {
    if (s === null || s === undefined) return '-';
    if (s < 120) return s.toFixed(1) + ' s';
    var m = Math.floor(s / 60);
    return m < 120 ? m + ' min ' + Math.round(s - 60 * m) + ' s' : (s / 3600).toFixed(2) + ' h';
  }
  function sum(a) { return a.reduce(function (x, y) { return x + (y || 0); }, 0); }
  function hasAny(a) { return a && a.some(function (v) { return v !== null && v !== undefined; }); }

  function header(title) {
    add(root, 'h1', {}, [title]);
    add(root, 'div', { 'class': 'meta' }, [data.source + ' - written ' + data.generated + ' by clcnn ' + data.clcnn_version]);
  }
  function cards(items) {
    var box = add(root, 'div', { 'class': 'cards' });
    items.forEach(function (it) {
      add(box, 'div', { 'class': 'card' }, [el('div', { 'class': 'label' }, [it[0]]), el('div', { 'class': 'value' }, [String(it[1])])]);
    });
  }
  function section(title) { add(root, 'h2', {}, [title]); }
  function grid() { return add(root, 'div', { 'class': 'grid' }); }
  /* A chart in its own box; `points` is what data-points says (the x values drawn). */
  function chart(parent, name, points, config, height) {
    var box = add(parent, 'div', height ? { 'class': 'chart', style: 'height:' + height + 'px' } : { 'class': 'chart' });
    var canvas = add(box, 'canvas', { 'data-chart': name, 'data-points': String(points) });
    new Chart(canvas, config);
    canvas.setAttribute('data-drawn', '1');
    nCharts++;
    return canvas;
  }
  function lineSet(label, values, color, extra) {
    var d = { label: label, data: values, borderColor: color, backgroundColor: color, pointRadius: 3, spanGaps: true };
    Object.keys(extra || {}).forEach(function (k) { d[k] = extra[k]; });
    return d;
  }
  function titled(text, scales) {
    return { plugins: { title: { display: true, text: text } }, scales: scales || {} };
  }
  function table(parent, heads, rows, attrs) {
    var wrap = add(parent, 'div', { 'class': 'scroll' });
    var t = add(wrap, 'table', attrs || {});
    var tr = add(add(t, 'thead'), 'tr');
    heads.forEach(function (h) { add(tr, 'th', typeof h === 'object' ? h : {}, [typeof h === 'object' ? h.label : h]); });
    var body = add(t, 'tbody');
    rows.forEach(function (r) {
      var row = add(body, 'tr', r.attrs || {});
      r.cells.forEach(function (c) {
        var cell = add(row, 'td', c && c.attrs ? c.attrs : {}, [c && c.attrs ? c.text : fmt(c)]);
        if (c && typeof c === 'object' && 'sort' in c) cell.setAttribute('data-sort', String(c.sort));
      });
    });
    return t;
  }
  /* Click a header to sort by it (numbers as numbers; '-' last). */
  function sortable(t) {
    t.classList.add('sortable');
    var heads = t.querySelectorAll('th');
    heads.forEach(function (th, col) {
      th.addEventListener('click', function () {
        var asc = th.getAttribute('data-order') !== 'asc';
        heads.forEach(function (h) { h.removeAttribute('data-order'); });
        th.setAttribute('data-order', asc ? 'asc' : 'desc');
        var body = t.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        function key(r) {
          var c = r.cells[col], s = c.getAttribute('data-sort'), v = s !== null ? s : c.textContent;
          var n = parseFloat(v);
          return isNaN(n) ? v : n;
        }
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          if (x === '-' || y === '-') return x === y ? 0 : (x === '-' ? 1 : -1);
          var r = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
          return asc ? r : -r;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  /* ---- training ------------------------------------------------------------------------- */
  function curves(parent, h, prefix) {
    var n = h.epoch.length;
    var loss = [lineSet('loss', h.loss, palette[0])], acc = [lineSet('accuracy', h.accuracy, palette[0])];
    if (hasAny(h.val_loss)) loss.push(lineSet('val_loss', h.val_loss, palette[1]));
    if (hasAny(h.val_accuracy)) acc.push(lineSet('val_accuracy', h.val_accuracy, palette[1]));
    var x = { offset: n === 1, title: { display: true, text: 'epoch' } }; /* one epoch: centred */
    chart(parent, prefix + 'loss', n, { type: 'line', data: { labels: h.epoch, datasets: loss }, options: titled('Loss', { x: x }) });
    chart(parent, prefix + 'accuracy', n, { type: 'line', data: { labels: h.epoch, datasets: acc }, options: titled('Accuracy', { x: x }) });
  }

  function confusion(parent, test) {
    var k = test.classes.length, max = 0, total = 0;
    test.confusion.forEach(function (r, i) { r.forEach(function (v, j) { total += v; if (i !== j && v > max) max = v; }); });
    var diagMax = Math.max.apply(null, test.confusion.map(function (r, i) { return r[i]; }).concat([1]));
    var wrap = add(parent, 'div', { 'class': 'scroll' });
    var t = add(wrap, 'table', { 'class': 'confusion', id: 'confusion', 'data-classes': String(k), 'data-total': String(total) });
    var tr = add(add(t, 'thead'), 'tr');
    add(tr, 'th', { 'class': 'text' }, ['true \\ predicted']);
    test.classes.forEach(function (c) { add(tr, 'th', {}, [c]); });
    var body = add(t, 'tbody');
    test.confusion.forEach(function (r, i) {
      var row = add(body, 'tr');
      add(row, 'th', { 'class': 'row' }, [test.classes[i]]);
      r.forEach(function (v, j) {
        /* Right answers in green, mistakes in red, each scaled to its own largest cell. */
        var a = i === j ? v / diagMax : (max ? v / max : 0);
        var bg = i === j ? 'rgba(46,160,67,' + (0.12 + 0.7 * a).toFixed(3) + ')' : 'rgba(214,39,40,' + (v ? 0.08 + 0.8 * a : 0).toFixed(3) + ')';
        add(row, 'td', { 'class': 'cm', 'data-count': String(v), style: 'background:' + bg, title: test.classes[i] + ' as ' + test.classes[j] }, [String(v)]);
      });
    });
  }

  function misclassified(parent, test) {
    if (!test.misclassified.length) { add(parent, 'p', { 'class': 'note' }, ['No test image is misclassified.']); return; }
    add(parent, 'p', { 'class': 'note' }, ['The ' + test.misclassified.length + ' most confident of ' + test.n_misclassified + ' misclassified test images.']);
    var box = add(parent, 'div', { 'class': 'thumbs', id: 'misclassified' });
    test.misclassified.forEach(function (m) {
      add(box, 'figure', { 'class': 'thumb', 'data-index': String(m.index) }, [
        el('img', { src: m.png, alt: 'test image ' + m.index }),
        el('figcaption', {}, ['#' + m.index + ' ' + test.classes[m.true], el('br'),
          el('span', { 'class': 'pred' }, [test.classes[m.predicted] + ' ' + (100 * m.confidence).toFixed(1) + '%'])])]);
    });
  }

  function training() {
    var h = data.history, test = data.test, n = h.epoch.length;
    var total = hasAny(h.seconds) ? sum(h.seconds) : null;
    header('Training report');
    cards([['test accuracy', pct(test.accuracy)], ['test loss', fmt(test.loss)], ['test images', test.n],
           ['epochs', n], ['training time', seconds(total)],
           ['device', data.training_device ? data.training_device.name : test.device]]);
    section('Training curves');
    var g = grid();
    curves(g, h, '');
    if (hasAny(h.learning_rate)) {
      var top = Math.max.apply(null, h.learning_rate.filter(function (v) { return v !== null; }));
      chart(g, 'learning_rate', n, { type: 'line', data: { labels: h.epoch, datasets: [lineSet('learning rate (first step of the epoch)', h.learning_rate, palette[2], { stepped: 'before' })] },
                                     options: titled('Learning rate', { x: { title: { display: true, text: 'epoch' } },
                                       y: { min: 0, suggestedMax: top * 1.15, ticks: { callback: function (v) { return +v.toPrecision(3); } } } }) });
    }
    if (hasAny(h.images_per_second))
      chart(g, 'throughput', n, { type: 'bar', data: { labels: h.epoch, datasets: [lineSet('images/s', h.images_per_second, palette[4])] },
                                  options: titled('Training throughput (images/s)') });
    section('Test set: per-class accuracy and confusion matrix');
    var g2 = add(root, 'div');
    chart(g2, 'per_class_accuracy', test.classes.length, { type: 'bar', data: { labels: test.classes, datasets: [lineSet('accuracy', test.per_class_accuracy, palette[0])] },
                                                           options: titled('Per-class accuracy (' + test.n + ' test images)', { y: { min: 0, max: 1 } }) });
    add(root, 'p', { 'class': 'note' }, ['Confusion matrix of the ' + test.n + ' test images: rows are the true classes, columns the predicted ones.']);
    confusion(root, test);
    section('Most confidently misclassified test images');
    misclassified(root, test);
    section('Epochs');
    table(root, ['epoch', 'loss', 'accuracy', 'val_loss', 'val_accuracy', 'learning rate', 'seconds', 'images/s'],
          h.epoch.map(function (e, i) {
            return { cells: [e, h.loss[i], h.accuracy[i], h.val_loss[i], h.val_accuracy[i], h.learning_rate[i],
                             h.seconds[i] === null ? null : { attrs: {}, text: h.seconds[i].toFixed(1) },
                             h.images_per_second[i] === null ? null : { attrs: {}, text: h.images_per_second[i].toFixed(0) }] };
          }), { id: 'epochs', 'data-rows': String(n) });
    add(root, 'p', { 'class': 'meta' }, ['Trained on ' + (data.training_device ? data.training_device.name + ' (' + data.training_device.platform + ')' : 'an unrecorded device') +
      '; test set evaluated for this report on ' + test.device + '.']);
    section('Layers');
    add(root, 'pre', { id: 'summary' }, [data.summary]);
    section('Resolved config');
    add(root, 'pre', { id: 'config' }, [data.config]);
  }

  /* ---- tuning --------------------------------------------------------------------------- */
  function tuning() {
    var trials = data.trials, max = data.direction === 'max', hps = data.hparams;
    var done = trials.filter(function (t) { return t.status === 'completed' && t.score !== null; });
    var best = null;
    done.forEach(function (t) { if (!best || (max ? t.score > best.score : t.score < best.score)) best = t; });
    header('Tuning report');
    cards([['algorithm', data.algorithm], ['objective', data.objective + ' (' + data.direction + ')'], ['trials', trials.length],
           ['completed', done.length], ['failed', trials.length - done.length],
           ['best', best ? fmt(best.score) + ' (trial ' + best.id + ')' : '-'],
           ['search time', seconds(sum(trials.map(function (t) { return t.seconds; })))]]);
    section('Search history');
    var g = grid(), ids = trials.map(function (t) { return 'trial ' + t.id; }), run = null;
    var bestSoFar = trials.map(function (t) {
      if (t.status === 'completed' && t.score !== null && (run === null || (max ? t.score > run : t.score < run))) run = t.score;
      return run;
    });
    chart(g, 'best_so_far', trials.length, { type: 'line', data: { labels: ids, datasets: [
      lineSet('best so far', bestSoFar, palette[3], { stepped: 'before', pointRadius: 0 }),
      lineSet('trial score', trials.map(function (t) { return t.status === 'completed' ? t.score : null; }), palette[0], { showLine: false, pointRadius: 4 })] },
      options: titled(data.objective + ': best so far, by trial', { x: { offset: true, title: { display: true, text: 'trial (in the order run)' } } }) });
    if (best && best.history && best.history.length) {
      var h = { epoch: [], loss: [], accuracy: [], val_loss: [], val_accuracy: [] };
      best.history.forEach(function (e) { Object.keys(h).forEach(function (k) { h[k].push(e[k] === undefined ? null : e[k]); }); });
      section('Best trial (trial ' + best.id + '): curves');
      if (best.parent_trial_id !== null && best.parent_trial_id !== undefined)
        add(root, 'p', { 'class': 'note' }, ['It continued trial ' + best.parent_trial_id + "'s weights from epoch " + best.initial_epoch + ': its curves start there.']);
      curves(grid(), h, 'best_');
    }
    section('Score against each hyperparameter');
    var g2 = grid();
    hps.forEach(function (hp, i) {
      var pts = done.filter(function (t) { return t.values[i] !== null; }).map(function (t) { return { x: t.values[i], y: t.score, trial: t.id }; });
      var x = hp.categories ? { type: 'category', labels: hp.categories, offset: true } : { type: hp.log ? 'logarithmic' : 'linear' };
      x.title = { display: true, text: hp.name };
      chart(g2, 'hp:' + hp.name, pts.length, { type: 'scatter', data: { datasets: [lineSet(data.objective, pts, palette[i % palette.length], { pointRadius: 5 })] },
        options: { plugins: { title: { display: true, text: hp.name + (hp.categories ? ' (choice)' : hp.log ? ' (log)' : '') }, legend: { display: false },
          tooltip: { callbacks: { label: function (c) { return 'trial ' + c.raw.trial + ': ' + fmt(c.raw.y); } } } },
          scales: { x: x, y: { title: { display: true, text: data.objective } } } } });
    });
    section('Trials');
    var hb = data.algorithm === 'hyperband';
    var heads = ['trial', { label: 'status', 'class': 'text' }, data.objective, 'epochs', 'seconds'];
    if (hb) heads = heads.concat(['bracket', 'round', 'from trial']);
    hps.forEach(function (hp) { heads.push(hp.categories ? { label: hp.name, 'class': 'text' } : hp.name); });
    var t = table(root, heads, trials.map(function (tr) {
      var cells = [tr.id, { attrs: { 'class': 'text', title: tr.error || '' }, text: tr.status }, tr.score, tr.epochs,
                   tr.seconds === null ? null : { attrs: {}, text: tr.seconds.toFixed(1), sort: tr.seconds }];
      if (hb) cells = cells.concat([tr.bracket, tr.round, tr.parent_trial_id === null ? null : { attrs: {}, text: String(tr.parent_trial_id) }]);
      tr.values.forEach(function (v, i) { cells.push(hps[i].categories ? { attrs: { 'class': 'text' }, text: v === null ? '-' : v } : (v === null ? null : { attrs: {}, text: String(+v.toPrecision(6)), sort: v })); });
      return { attrs: best && tr.id === best.id ? { 'class': 'best' } : {}, cells: cells.map(function (c) { return typeof c === 'number' && Number.isInteger(c) ? { attrs: {}, text: String(c), sort: c } : c; }) };
    }), { id: 'trials', 'data-rows': String(trials.length) });
    sortable(t);
    if (hb) brackets(trials);
    section('Search config');
    add(root, 'pre', { id: 'config' }, [data.config]);
  }

  /* Hyperband: per bracket, its rounds (epochs, trials and scores) and which trial each promoted
   * trial continued from. */
  function brackets(trials) {
    section('Hyperband brackets and promotions');
    var by = {};
    trials.forEach(function (t) { (by[t.bracket] = by[t.bracket] || []).push(t); });
    var box = add(root, 'div', { id: 'brackets' });
    Object.keys(by).sort(function (a, b) { return b - a; }).forEach(function (b) {
      add(box, 'h3', {}, ['Bracket ' + b]);
      var rounds = {};
      by[b].forEach(function (t) { (rounds[t.round] = rounds[t.round] || []).push(t); });
      table(box, ['round', 'epochs', { label: 'trials (score; promoted from)', 'class': 'text' }],
        Object.keys(rounds).sort(function (x, y) { return x - y; }).map(function (r) {
          var list = rounds[r].map(function (t) {
            return 'trial ' + t.id + ' (' + fmt(t.score) + (t.parent_trial_id !== null ? '; from ' + t.parent_trial_id : '') + ')';
          }).join(', ');
          return { cells: [{ attrs: {}, text: r }, { attrs: {}, text: String(rounds[r][0].epochs) }, { attrs: { 'class': 'text' }, text: list }] };
        }), { 'class': 'bracket', 'data-bracket': b });
    });
  }

  /* ---- bench ---------------------------------------------------------------------------- */
  function bench() {
    header('Benchmark report');
    cards([['devices', data.devices.length], ['results', data.results.length]]);
    var routes = [];
    data.results.forEach(function (r) { if (routes.indexOf(r.route) < 0) routes.push(r.route); });
    data.devices.forEach(function (d, di) {
      var rows = data.results.filter(function (r) { return r.device === d.name; });
      var labels = [];
      rows.forEach(function (r) { var l = r.kernel + ' ' + r.shape; if (labels.indexOf(l) < 0) labels.push(l); });
      var sets = routes.map(function (route, i) {
        return lineSet(route, labels.map(function (l) {
          var r = rows.filter(function (x) { return x.route === route && x.kernel + ' ' + x.shape === l; })[0];
          return r ? r.gflops : null;
        }), palette[i % palette.length], { type: 'bar' });
      }).filter(function (s) { return hasAny(s.data); });
      if (d.peak_gflops !== null)
        sets.push(lineSet('device peak ' + d.peak_gflops.toFixed(1) + ' GFLOP/s', labels.map(function () { return d.peak_gflops; }), '#d62728',
                          { type: 'line', pointRadius: 0, borderDash: [6, 4], backgroundColor: 'rgba(0,0,0,0)' }));
      section(d.name + (d.peak_gflops !== null ? ' (peak ' + d.peak_gflops.toFixed(1) + ' GFLOP/s)' : ''));
      var c = chart(root, 'bench:' + d.name, rows.length, { type: 'bar', data: { labels: labels, datasets: sets },
        options: { indexAxis: 'y', plugins: { title: { display: true, text: 'GFLOP/s per kernel and route' } },
                   scales: { x: { title: { display: true, text: 'GFLOP/s' }, beginAtZero: true } } } },
        Math.max(280, 22 * labels.length + 80));
      c.setAttribute('data-device', String(di));
    });
    section('Results');
    var t = table(root, [{ label: 'device', 'class': 'text' }, { label: 'kernel', 'class': 'text' }, { label: 'route', 'class': 'text' },
                         { label: 'shape', 'class': 'text' }, 'batch', 'ms', 'GFLOP/s', 'GB/s', '% of peak'],
      data.results.map(function (r) {
        function txt(v) { return { attrs: { 'class': 'text' }, text: v }; }
        function num(v, d) { return { attrs: {}, text: v.toFixed(d), sort: v }; }
        return { cells: [txt(r.device), txt(r.kernel), txt(r.route), txt(r.shape), num(r.batch, 0), num(r.ms, 3), num(r.gflops, 2), num(r.gbps, 2), num(r.pct_peak, 1)] };
      }), { id: 'results', 'data-rows': String(data.results.length) });
    sortable(t);
  }

  ({ training: training, tuning: tuning, bench: bench })[data.kind]();
  document.body.setAttribute('data-kind', data.kind);
  document.body.setAttribute('data-charts', String(nCharts));
  document.body.setAttribute('data-errors', String(window.clcnnErrors.length));
  document.body.setAttribute('data-rendered', '1');
})();
