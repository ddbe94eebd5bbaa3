/* route-risk map runtime (part of route-risk, MIT): hexagon layers decoded from H3 ids with
 * h3-js, explain cards, month slider, seizure/event points and the offline basemap.
 *
 * Safety contract: every data string this file receives was escaped in Python by
 * pipeline.render.escape_text (HTML entities for & < > " ' ` $ \ { } and line terminators),
 * so it is inserted as HTML and displays verbatim; numbers are formatted here.  No string is
 * ever evaluated.  window.routeRisk exposes counters for tests: hexCount (risk cells drawn in
 * the last frame), hexTotal (risk cells decoded), layers[key].drawn, ready (all layers added).
 */
(function () {
  'use strict';
  var RR = window.routeRisk = window.routeRisk || {
    hexCount: 0, hexTotal: 0, layers: {}, ready: false, hoverables: [], period: null
  };
  var MAX_LAT = 85.0511287798;

  function mercX(lng) { return (lng + 180) / 360; }
  function mercY(lat) {
    lat = Math.max(-MAX_LAT, Math.min(MAX_LAT, lat));
    var s = Math.sin(lat * Math.PI / 180);
    return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
  }

  /* Cells arrive sorted, per resolution, as the first id (hex) plus base-36 deltas of
   * (cell >> 3*(15-res)): the trailing index digits of a cell are all 7 (binary 111). */
  function decodeCells(groups) {
    var ids = [], res = [];
    groups.forEach(function (g) {
      var shift = BigInt(3 * (15 - g.res)), low = (BigInt(1) << shift) - BigInt(1);
      var acc = BigInt('0x' + g.first) >> shift;
      ids.push(g.first); res.push(g.res);
      if (!g.deltas) { return; }
      var toks = g.deltas.split(',');
      for (var i = 0; i < toks.length; i++) {
        acc += BigInt(parseInt(toks[i], 36));
        ids.push(((acc << shift) | low).toString(16)); res.push(g.res);
      }
    });
    return {ids: ids, res: res};
  }

  /* Boundaries in normalised Web-Mercator units, longitudes unwrapped vertex to vertex so a
   * cell on the antimeridian is one contiguous polygon (drawn in every visible world copy).
   * The ring of the cell round a pole ends a whole turn from where it starts: it is closed
   * along the pole (the map's edge), or only the sliver between its edge and the chord back
   * to its start would be filled (the cap of a resolution-0 cell reaches 69 degrees). */
  function buildGeometry(ids) {
    var n = ids.length, offsets = new Int32Array(n + 1), total = 0, rings = new Array(n);
    var i, j, r;
    for (i = 0; i < n; i++) {
      var b = h3.cellToBoundary(ids[i]), prev = b[0][1], sumLat = 0;
      r = new Array(b.length);
      for (j = 0; j < b.length; j++) {
        var lng = b[j][1];
        while (lng - prev > 180) { lng -= 360; }
        while (lng - prev < -180) { lng += 360; }
        prev = lng; sumLat += b[j][0];
        r[j] = [b[j][0], lng];
      }
      var back = r[0][1];  // the first vertex again, unwrapped after the last one
      while (back - prev > 180) { back -= 360; }
      while (back - prev < -180) { back += 360; }
      if (back !== r[0][1]) {
        var pole = sumLat < 0 ? -90 : 90;
        r.push([r[0][0], back], [pole, back], [pole, r[0][1]]);
      }
      rings[i] = r;
      total += r.length; offsets[i + 1] = total;
    }
    var xs = new Float64Array(total), ys = new Float64Array(total);
    var bx0 = new Float64Array(n), bx1 = new Float64Array(n);
    var by0 = new Float64Array(n), by1 = new Float64Array(n);
    for (i = 0; i < n; i++) {
      var o = offsets[i], x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
      r = rings[i];
      for (j = 0; j < r.length; j++) {
        var x = mercX(r[j][1]), y = mercY(r[j][0]);
        xs[o + j] = x; ys[o + j] = y;
        if (x < x0) { x0 = x; } if (x > x1) { x1 = x; }
        if (y < y0) { y0 = y; } if (y > y1) { y1 = y; }
      }
      bx0[i] = x0; bx1[i] = x1; by0[i] = y0; by1[i] = y1;
    }
    return {n: n, offsets: offsets, xs: xs, ys: ys, bx0: bx0, bx1: bx1, by0: by0, by1: by1};
  }

  function fmt(v) {
    if (v === null || v === undefined || (typeof v === 'number' && !isFinite(v))) { return '–'; }
    if (Math.abs(v) >= 1000) { return Math.round(v).toLocaleString('en-US'); }
    return String(+v.toPrecision(4));
  }
  function isoDay(days) {
    return days === null || days === undefined ? 'none' :
      new Date(days * 86400000).toISOString().slice(0, 10);
  }
  function row(label, value, cls) {
    return '<tr><th>' + label + '</th><td class="' + (cls || 'rr-v') + '">' + value + '</td></tr>';
  }
  function missing(text) { return '<span class="rr-missing">' + text + '</span>'; }
  function known(arr, i) { return arr && arr[i] !== null && arr[i] !== undefined && isFinite(arr[i]); }
  function fmtTimes(v) {
    return '×' + (v >= 10 ? Math.round(v).toLocaleString('en-US') : String(+v.toPrecision(2)));
  }
  /* A p-value to 3 significant digits, rounded DOWN: a class is decided by p < 0.1, 0.05,
   * 0.01, and 0.09996 rounded to nearest would read 0.1 beside 'hot spot 90%'. */
  function fmtP(p) {
    if (p < 0.001) { return '&lt;0.001'; }
    var step = Math.pow(10, Math.floor(Math.log10(p)) - 2);
    return String(+(Math.floor(p / step + 1e-9) * step).toPrecision(3));
  }
  RR.format = {p: fmtP};
  function fmtPct(p) { return p < 0.001 ? '&lt;0.1 %' : String(+(100 * p).toPrecision(3)) + ' %'; }

  /* The fitted model's rows of a card: expected events, P(at least one), relative risk and
   * the largest multiplicative shares (sent per rank: index into labels and code =
   * round(scale * ln share)); the rest multiply into "others", so the column multiplies to
   * the relative risk.  rr and P(any) are derived from the expected count when Python found
   * them to be expected / rrScale and the Poisson 1 - exp(-expected). */
  function fittedRows(F, i, observed) {
    var hz = F.horizonDays ? 'next ' + fmt(F.horizonDays) + ' days' : 'next horizon';
    var ex = known(F.expected, i) ? F.expected[i] : null;
    var p = F.pAny ? (known(F.pAny, i) ? F.pAny[i] : null) :
      (F.pAnyPoisson && ex !== null ? 1 - Math.exp(-ex) : null);
    var rr = F.rr ? (known(F.rr, i) ? F.rr[i] : null) :
      (F.rrScale && ex !== null ? ex / F.rrScale : null);
    var h = '<div class="rr-section-title">model' + (F.model ? ' (' + F.model + ')' : '') +
      '</div><table class="rr-fitted">';
    /* A cell no factor observes is "no data" on the map; the model still gives it figures
     * (its extrapolation from the factors' values there), which must not read as evidence
     * of a low risk. */
    if (!observed) {
      h += row('No data', 'no observation in this cell: the figures below are the ' +
        'model\'s extrapolation, not evidence', 'rr-v rr-nodata');
    }
    h += row('Expected events', ex !== null ? fmt(ex) + ' (' + hz + ')' : missing('not available'));
    h += row('P(at least one)', p !== null ? fmtPct(p) : missing('not available'));
    /* relative_risk is against the fitted model's reference cell (every factor at its mean:
     * the geometric-mean cell), not the average cell: on the demo a cell at ×2.6 expects
     * 0.66 times the mean cell's events. */
    h += row('Relative risk', rr !== null ? fmtTimes(rr) + ' the geometric-mean cell' :
      missing('not available'));
    h += '</table>';
    var S = F.shares;
    if (!S.codes.length || S.codes[0][i] === null) {
      return h + '<table class="rr-shares">' + row('Shares', missing('not available for this cell')) +
        '</table>';
    }
    h += '<table class="rr-shares"><tr><th colspan="2">multiplicative shares</th></tr>';
    for (var k = 0; k < S.codes.length && S.codes[k][i] !== null; k++) {
      h += '<tr><td>' + S.labels[S.rank[k][i]] + '</td><td>' +
        fmtTimes(Math.exp(S.codes[k][i] / F.shareScale)) + '</td></tr>';
    }
    if (S.others && S.others[i] !== null) {
      h += '<tr><td>others</td><td>' + fmtTimes(Math.exp(S.others[i] / F.shareScale)) + '</td></tr>';
    }
    return h + '</table>';
  }

  /* Gi* and the emerging trend in two rows: z, corrected p and class; category and trend. */
  function hotspotRows(H, i) {
    var h = '', parts = [];
    if (H.z) { parts.push('z ' + (known(H.z, i) ? fmt(H.z[i]) : missing('not computed'))); }
    if (H.p) { parts.push(H.pLabel + ' ' + (known(H.p, i) ? fmtP(H.p[i]) : missing('not computed'))); }
    if (H.cls) { parts.push(H.cls[i] >= 0 ? H.clsLabels[H.cls[i]] : missing('class not computed')); }
    /* the row holds cold spots too: 'Gi* hot spot: cold spot 99%' read on the piracy map */
    if (parts.length) { h += row('Gi* hot/cold spot', parts.join(' · ')); }
    parts = [];
    if (H.category) {
      parts.push(H.category[i] >= 0 ? H.categories[H.category[i]] : missing('not computed'));
    }
    if (H.trend) {
      var t = 'trend ' + (H.trend[i] >= 0 ? H.trends[H.trend[i]] : missing('not computed'));
      if (H.trendP && known(H.trendP, i)) { t += ' (Mann-Kendall p ' + fmtP(H.trendP[i]) + ')'; }
      parts.push(t);
    }
    if (parts.length) { h += row('Emerging', parts.join(' · ')); }
    return h;
  }


  /* The risk's interval (its coverage from the run) and how often resamples keep the class. */
  function uncertaintyRows(U, i, label, now) {
    var h = '', level = U.level !== null ? fmt(U.level) + ' % interval' : 'interval';
    if (U.basis) { level += ' over ' + U.basis; }  /* what it is of: not the true risk */
    var suffix = now ? ' (' + now.trim() + ')' : '';
    /* a run without any interval says why (one seizure position cannot be resampled) */
    var none = U.reason ? 'not computed: ' + U.reason : 'not computed';
    if (known(U.lower, i) && known(U.upper, i)) {
      h += row('Risk interval' + suffix, fmt(U.lower[i]) + ' – ' + fmt(U.upper[i]) + ' (' + level + ')');
    } else {
      h += row('Risk interval' + suffix, missing(none));
    }
    if (U.stability) {
      h += row('Class stability' + suffix, known(U.stability, i) ?
        fmtPct(U.stability[i]) + ' of resamples ' + (label ? 'in “' + label + '”' : 'in this class') :
        missing('not computed'));
    }
    return h;
  }

  /* Per-factor coverage: which factors could not observe the cell, with their own words
   * ("no AIS coverage", "raster does not cover this cell"), else that all of them did. */
  function coverageText(factors, i) {
    var gaps = [];
    factors.forEach(function (f) {
      if (f.covered && f.covered[i] !== 1) { gaps.push(f.label + ': ' + missing(f.missing)); }
    });
    if (!gaps.length) {
      return 'observed by ' + (factors.length === 1 ? 'its factor' : 'all ' + factors.length + ' factors');
    }
    return 'observed; ' + gaps.join('; ');
  }

  /* The categories of a cell by count, the largest TOP_CATEGORIES, the rest as "others";
   * categories with no seizure in the cell are left out. */
  var TOP_CATEGORIES = 6;
  function categoriesText(cats, i) {
    var hit = [];
    for (var k = 0; k < cats.length; k++) { if (cats[k].counts[i] > 0) { hit.push(k); } }
    if (!hit.length) { return 'none'; }
    hit.sort(function (a, b) { return cats[b].counts[i] - cats[a].counts[i] || a - b; });
    var parts = hit.slice(0, TOP_CATEGORIES).map(function (k) {
      return cats[k].label + ': ' + cats[k].counts[i];
    });
    var rest = hit.slice(TOP_CATEGORIES), sum = 0;
    rest.forEach(function (k) { sum += cats[k].counts[i]; });
    if (rest.length) { parts.push('others (' + rest.length + ' categories): ' + sum); }
    return parts.join(', ');
  }

  L.RouteRiskHexLayer = L.Layer.extend({
    initialize: function (d) {
      this.d = d;
      var t0 = performance.now();
      var dec = decodeCells(d.cells);
      this.ids = dec.ids; this.g = buildGeometry(dec.ids);
      this.index = new Map();
      for (var i = 0; i < this.ids.length; i++) { this.index.set(this.ids[i], i); }
      this.resolutions = Array.from(new Set(dec.res));
      this.drawn = 0;
      this.colors = d.colors; this.mask = null; this.colourBy = 'risk';
      this._setColours(this._classesFor(null));
      RR.layers[d.key] = this;
      if (d.key === 'risk') { RR.hexTotal = this.ids.length; }
      this.decodeMs = performance.now() - t0;
    },
    _classesFor: function (period) {
      var d = this.d, n = this.ids.length, out = new Int16Array(n);
      if (period === null) {
        for (var i = 0; i < n; i++) { out[i] = d.cls[i]; }
        return out;
      }
      var tl = d.timeline, vals = tl.risk[period], br = tl.breaks || d.breaks;
      /* One scale for every month: the classes the run gave each month on it (or the map's
       * breaks applied to the month's risk); a scale of other than the map's classes count
       * spreads its classes over the map's colours. */
      var nb = br.length - 1, nc = d.colors.length;
      var colour = function (k) { return nb === nc || nb < 2 ? k : Math.round(k * (nc - 1) / (nb - 1)); };
      for (i = 0; i < n; i++) {
        var k = tl.cls ? tl.cls[period][i] : -1, v = vals[i];
        if (!tl.cls) {
          if (v === null) { out[i] = -1; continue; }
          k = 0;
          while (k < br.length - 2 && v >= br[k + 1]) { k++; }
        }
        out[i] = k < 0 ? -1 : colour(k);
      }
      return out;
    },
    _setColours: function (cls) {
      var k = this.colors.length, n = cls.length, counts = new Int32Array(k + 1), i;
      for (i = 0; i < n; i++) { counts[cls[i] + 1]++; }
      var starts = new Int32Array(k + 2);
      for (i = 0; i <= k; i++) { starts[i + 1] = starts[i] + counts[i]; }
      var order = new Int32Array(n), pos = starts.slice(0, k + 1);
      for (i = 0; i < n; i++) { order[pos[cls[i] + 1]++] = i; }
      this.cls = cls; this.order = order; this.starts = starts;
    },
    setPeriod: function (period) {
      this.period = period;
      /* Coloured by a factor (not by time), the colours stay; the card shows the month. */
      if (this.colourBy === 'risk') { this._setColours(this._classesFor(period)); }
      if (this._map) { this._redraw(); }
    },
    /* Colour by another column: cls per cell (-1 = no data) into colors. */
    setColouring: function (key, cls, colors) {
      this.colourBy = key;
      this.colors = colors;
      this._setColours(key === 'risk' ? this._classesFor(this.period === undefined ? null : this.period) : cls);
      if (this._map) { this._redraw(); }
    },
    /* Show only the cells whose mask is 1 (null: all); hidden cells take no hover either. */
    setMask: function (mask) {
      this.mask = mask;
      if (this._map) { this._redraw(); }
    },
    onAdd: function (map) {
      if (!map.getPane('rr-hex')) { map.createPane('rr-hex').style.zIndex = 390; }
      this._canvas = L.DomUtil.create('canvas', 'rr-hex-canvas leaflet-zoom-animated');
      this._canvas.style.pointerEvents = 'none';
      this._canvas.style.zIndex = this.d.z || 0;
      map.getPane('rr-hex').appendChild(this._canvas);
      map.on('moveend resize viewreset', this._redraw, this);
      map.on('zoomanim', this._animateZoom, this);
      if (this.d.hover !== false) { RR.hoverables.push(this); }
      RR.map = map;
      this._redraw();
    },
    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off('moveend resize viewreset', this._redraw, this);
      map.off('zoomanim', this._animateZoom, this);
      RR.hoverables = RR.hoverables.filter(function (h) { return h !== this; }, this);
      this.drawn = 0;
      if (this.d.key === 'risk') { RR.hexCount = 0; }
    },
    _animateZoom: function (e) {
      /* The canvas's top-left in world pixels, scaled to the new zoom, less the new pixel
       * origin; not through a latitude, which is clamped to 85.05 degrees (see _redraw). */
      var map = this._map, scale = map.getZoomScale(e.zoom);
      var world = map.containerPointToLayerPoint([0, 0]).add(map.getPixelOrigin());
      var offset = world.multiplyBy(scale).subtract(map._getNewPixelOrigin(e.center, e.zoom));
      L.DomUtil.setTransform(this._canvas, offset, scale);
    },
    _redraw: function () {
      var map = this._map; if (!map) { return; }
      var size = map.getSize(), c = this._canvas, dpr = window.devicePixelRatio || 1;
      L.DomUtil.setPosition(c, map.containerPointToLayerPoint([0, 0]));
      c.width = size.x * dpr; c.height = size.y * dpr;
      c.style.width = size.x + 'px'; c.style.height = size.y + 'px';
      var ctx = c.getContext('2d');
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, size.x, size.y);
      var zoom = map.getZoom(), scale = 256 * Math.pow(2, zoom);
      /* The container's top-left in world pixels, from the layer point: through a latitude
       * (project(containerPointToLatLng)) it was clamped to 85.05 degrees, so with the view
       * reaching past the map's top edge (zoomed out, an Arctic theatre) every cell was drawn
       * that much too high. */
      var p0 = map.containerPointToLayerPoint([0, 0]).add(map.getPixelOrigin());
      var g = this.g, d = this.d, seen = new Uint8Array(g.n), drawn = 0;
      var kmin = Math.floor(p0.x / scale) - 1, kmax = Math.floor((p0.x + size.x) / scale) + 1;
      ctx.globalAlpha = d.opacity; ctx.lineJoin = 'round';
      /* Paths are filled in chunks: one path of 10^5 rings makes Skia's software rasteriser
       * take seconds, chunks of a few hundred rings take milliseconds. */
      var CHUNK = 256;
      /* Outline layers (hot/cold spots) stroke each class twice: a white halo, then the
       * class's colour, width and dash, so the line reads on every fill beneath. */
      var outline = d.kind === 'outline', passes = outline ? 2 : 1;
      for (var pass = 0; pass < passes; pass++) {
        for (var ci = 0; ci < this.starts.length - 1; ci++) {
          var a = this.starts[ci], b = this.starts[ci + 1];
          if (a === b || (outline && ci === 0)) { continue; }
          if (outline) {
            var st = d.styles[ci - 1];
            ctx.strokeStyle = pass === 0 ? 'rgba(255,255,255,0.9)' : st.color;
            ctx.lineWidth = pass === 0 ? st.width + 2.5 : st.width;
            ctx.setLineDash(pass === 0 ? [] : st.dash);
          } else {
            ctx.fillStyle = ci === 0 ? d.noDataColor : this.colors[ci - 1];
            ctx.strokeStyle = ci === 0 ? '#616161' : 'rgba(40,40,40,0.55)';
            ctx.lineWidth = ci === 0 ? 1.2 : 0.6;
            ctx.setLineDash(ci === 0 ? [3, 2] : []);
          }
          var rings = 0, wide = false;
          ctx.beginPath();
          var mask = this.mask;
          for (var q = a; q < b; q++) {
            var i = this.order[q];
            if (mask && !mask[i]) { continue; }
            var y0 = g.by0[i] * scale - p0.y, y1 = g.by1[i] * scale - p0.y;
            if (y1 < 0 || y0 > size.y) { continue; }
            for (var k = kmin; k <= kmax; k++) {
              var off = k * scale - p0.x, x0 = g.bx0[i] * scale + off, x1 = g.bx1[i] * scale + off;
              if (x1 < 0 || x0 > size.x) { continue; }
              if (x1 - x0 > 6) { wide = true; }
              var o = g.offsets[i], e = g.offsets[i + 1];
              ctx.moveTo(g.xs[o] * scale + off, g.ys[o] * scale - p0.y);
              for (var j = o + 1; j < e; j++) { ctx.lineTo(g.xs[j] * scale + off, g.ys[j] * scale - p0.y); }
              ctx.closePath();
              if (!seen[i]) { seen[i] = 1; drawn++; }
              if (++rings === CHUNK) {
                if (outline) { ctx.stroke(); } else { ctx.fill(); if (wide) { ctx.stroke(); } }
                ctx.beginPath(); rings = 0; wide = false;
              }
            }
          }
          if (rings) { if (outline) { ctx.stroke(); } else { ctx.fill(); if (wide) { ctx.stroke(); } } }
        }
      }
      ctx.setLineDash([]);
      this.drawn = drawn;
      if (d.key === 'risk') { RR.hexCount = drawn; }
    },
    /* [west, south, east, north] of the cells drawn, each taken in its world copy nearest
     * the view's centre (as the view shows it); for tests and scripts. */
    drawnBounds: function () {
      var g = this.g, x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
      var cx = this._map ? mercX(this._map.getCenter().lng) : 0.5;
      for (var i = 0; i < g.n; i++) {
        if (this.mask && !this.mask[i]) { continue; }
        var k = Math.round(cx - 0.5 * (g.bx0[i] + g.bx1[i]));
        x0 = Math.min(x0, g.bx0[i] + k); x1 = Math.max(x1, g.bx1[i] + k);
        y0 = Math.min(y0, g.by0[i]); y1 = Math.max(y1, g.by1[i]);
      }
      function lat(y) { return 360 / Math.PI * Math.atan(Math.exp((0.5 - y) * 2 * Math.PI)) - 90; }
      return [x0 * 360 - 180, lat(y1), x1 * 360 - 180, lat(y0)];
    },
    cellAt: function (latlng) {
      var lat = latlng.lat, lng = ((latlng.lng + 180) % 360 + 360) % 360 - 180;
      for (var r = 0; r < this.resolutions.length; r++) {
        var i = this.index.get(h3.latLngToCell(lat, lng, this.resolutions[r]));
        if (i !== undefined) { return this.mask && !this.mask[i] ? -1 : i; }
      }
      return -1;
    },
    card: function (i, pinned) {
      var d = this.d, wide = d.kind === 'risk' && !!d.fitted;
      var h = '<div class="rr-card' + (wide ? ' rr-wide' : '') + '"><div class="rr-card-title">' +
        d.title + ' <span class="rr-mono">' + this.ids[i] + '</span>' +
        (pinned ? ' <button type="button" class="rr-copy" data-hex="' + this.ids[i] +
          '">copy id</button>' : '') + '</div><table>';
      var observed = d.observed[i] === 1;
      if (d.kind === 'risk') {
        /* On a month of the slider the card holds that month's risk beside today's: the rows
         * of today's risk (its interval and class stability too) then say "now". */
        var month = this.period !== null && this.period !== undefined && !!d.timeline;
        var now = month ? ' now' : '';
        if (!observed) {
          h += row('Risk' + now, 'no data', 'rr-v rr-nodata');
        } else {
          h += row('Risk' + now, fmt(d.risk[i]) + ' / 100 (' + (d.cls[i] >= 0 ? d.labels[d.cls[i]] : 'no class') + ')');
        }
        if (month) {
          var tv = d.timeline.risk[this.period][i], pd = d.timeline.present[this.period],
            md = d.timeline.missing ? d.timeline.missing[this.period] : '';
          /* with a fitted model a month is the weighted view's score (the model is fitted
           * once, today): the row says so, not to be read beside "Risk now" as one score */
          h += row('Risk in ' + d.timeline.periods[this.period] + (d.fitted ? ' (weighted view)' : ''),
            tv === null ? 'no data' : fmt(tv));
          if (pd) { h += row('Present data', pd + ' as of today (no history that month)'); }
          if (md) { h += row('No data that month', md + ' (missing, not 0: the other factors weighed)'); }
        }
        h += row('Coverage', observed ? coverageText(d.factors, i) :
          'no data: no observations in this cell', observed ? 'rr-v' : 'rr-v rr-nodata');
        if (d.confidence) {
          var c = d.confidence, within = c.bandwidthKm ? ' within ' + fmt(c.bandwidthKm) + ' km' :
            ' within one bandwidth';
          h += row('Confidence', c.labels[c.code[i]] + ' (' + c.near[i] + ' seizure' +
            (c.near[i] === 1 ? '' : 's') + within + ')');
        }
        if (d.uncertainty) { h += uncertaintyRows(d.uncertainty, i, d.labels[d.cls[i]], now); }
        if (d.hotspot) { h += hotspotRows(d.hotspot, i); }
        h += '</table>';
        /* With a fitted model the card has two columns: the model (and hot spots) beside the
         * weighted view's points, which then says what it is. */
        if (wide) { h += '<div class="rr-cols"><div class="rr-col">' + fittedRows(d.fitted, i, observed); }
        if (wide) { h += '</div><div class="rr-col"><div class="rr-section-title">weighted view</div>'; }
        h += '<table class="rr-factors"><tr><th>factor</th><th>value</th><th>points of 100</th></tr>';
        /* Where a factor cannot observe this cell the score is the weighted mean of the
         * others: their weights are scaled by (all weights) / (weights of the factors here),
         * shown beside the configured weight, and the missing factor's points are "not
         * counted" (not 0: it was left out, not found low).  The points add up to the total. */
        var wAll = 0, wHere = 0, total = 0;
        d.factors.forEach(function (f) {
          if (f.weight > 0) { wAll += f.weight; if (!f.covered || f.covered[i] === 1) { wHere += f.weight; } }
        });
        var scale = wHere > 0 && wHere < wAll ? wAll / wHere : null;
        d.factors.forEach(function (f) {
          /* A factor that could not observe this cell shows its "missing" text, never a value:
           * "no AIS coverage" is not "0 vessel-hours". */
          var covered = !f.covered || f.covered[i] === 1;
          var value = covered ? fmt(f.values[i]) + (f.unit ? ' ' + f.unit : '') :
            '<span class="rr-missing">' + f.missing + '</span>';
          var w = '×' + fmt(f.weight) + (scale && covered && f.weight > 0 ?
            ' → ×' + fmt(f.weight * scale) + ' here' : '');
          var pts = covered || !(f.weight > 0) ? fmt(f.contrib[i]) : missing('not counted');
          if (covered && known(f.contrib, i)) { total += f.contrib[i]; }
          h += '<tr><td>' + f.label + ' <span class="rr-w">' + w + '</span>' +
            (f.description ? '<div class="rr-desc">' + f.description + '</div>' : '') +
            '</td><td>' + value + '</td><td>' + pts + '</td></tr>';
        });
        h += '<tr class="rr-total"><td>' + (wide ? 'total (weighted view)' : 'total') +
          '</td><td></td><td>' + (wHere > 0 ? fmt(total) : '–') + '</td></tr>';
        h += '</table>';
        if (scale) {
          h += '<div class="rr-desc">Weights scaled ×' + fmt(scale) + ' here: the factors ' +
            'that cannot observe this cell are left out, not counted as low.</div>';
        }
        h += '<table>';
        if (d.commodities.length) { h += row('Seizures', categoriesText(d.commodities, i)); }
        if (d.latest) { h += row('Latest event', isoDay(d.latest[i])); }
        if (wide) { h += '</table></div></div><table>'; }
      } else {
        h += row(d.valueLabel, fmt(d.values[i]) + (d.unit ? ' ' + d.unit : ''));
      }
      return h + '</table></div>';
    }
  });
  L.routeRiskHexLayer = function (d) { return new L.RouteRiskHexLayer(d); };

  /* Shift an open card so that it lies inside the map and clear of the legend (which sits
   * above the map's panes): a card at the edge is otherwise cut or covered. */
  function keepInside(tip, map) {
    var el = tip.getElement();
    if (!el) { return; }
    var m = map.getContainer().getBoundingClientRect(), r = el.getBoundingClientRect();
    var left = m.left + 4, right = m.right - 4, top = m.top + 4, bottom = m.bottom - 4;
    var legend = document.getElementById('rr-legend');
    if (legend && !legend.hidden) {
      var g = legend.getBoundingClientRect();
      if (g.width && r.bottom > g.top && r.top < g.bottom && g.left - 4 - left >= r.width) {
        right = Math.min(right, g.left - 4);
      }
    }
    /* The title box sits over the top of the map: a card below it, never under it. */
    var title = document.getElementById('rr-title');
    if (title) {
      var t = title.getBoundingClientRect();
      if (t.width && r.right > t.left && r.left < t.right && bottom - (t.bottom + 4) >= r.height) {
        top = Math.max(top, t.bottom + 4);
      }
    }
    var dx = 0, dy = 0;
    if (r.right > right) { dx = right - r.right; }
    if (r.left + dx < left) { dx = left - r.left; }
    if (r.bottom > bottom) { dy = bottom - r.bottom; }
    if (r.top + dy < top) { dy = top - r.top; }
    if (dx || dy) {
      tip.options.offset = [tip.options.offset[0] + dx, tip.options.offset[1] + dy];
      tip.update();
    }
  }

  /* One tooltip for every hexagon layer under the pointer (risk first, then transit). */
  RR.enableHover = function (map) {
    var tip = L.tooltip({direction: 'top', offset: [0, -8], className: 'rr-tooltip', opacity: 0.97});
    var current = null;
    function hits(latlng) {
      var out = [];
      RR.hoverables.forEach(function (layer) {
        var i = layer.cellAt(latlng);
        if (i >= 0) { out.push({layer: layer, i: i}); }
      });
      out.sort(function (a, b) { return (a.layer.d.kind === 'risk' ? 0 : 1) - (b.layer.d.kind === 'risk' ? 0 : 1); });
      return out;
    }
    function key(hs) {
      return hs.map(function (h) { return h.layer.d.key + ':' + h.i + ':' + h.layer.period; }).join('|');
    }
    function content(hs) {
      return hs.map(function (h) { return h.layer.card(h.i); }).join('');
    }
    /* The container's own mousemove, not the map's: Leaflet's canvas renderer (circle markers)
     * re-fires the map's mousemove at most every 32 ms, so the last move of a gesture could
     * leave the card of the cell before.  Over a control no card opens. */
    function close() { if (current) { map.closeTooltip(tip); current = null; } }
    L.DomEvent.on(map.getContainer(), 'mousemove', function (ev) {
      var t = ev.target;
      if (t && t.closest && t.closest('.leaflet-control-container, .leaflet-popup')) { close(); return; }
      var cp = map.mouseEventToContainerPoint(ev), latlng = map.containerPointToLatLng(cp);
      RR.pointer = [cp.x, cp.y];
      var hs = hits(latlng);
      if (!hs.length) { close(); return; }
      var k = key(hs);
      if (k !== current) { tip.setContent(content(hs)); current = k; }
      /* A card is taller than half a small map: open it towards the larger free side. */
      var below = cp.y < map.getSize().y / 2;
      tip.options.direction = below ? 'bottom' : 'top';
      tip.options.offset = below ? [0, 8] : [0, -8];
      tip.setLatLng(latlng);
      if (!map.hasLayer(tip)) { tip.openOn(map); }
      keepInside(tip, map);
    });
    map.on('mouseout', function () { map.closeTooltip(tip); current = null; });
    map.on('click', function (e) {
      var hs = hits(e.latlng);
      if (hs.length) { RR.pin(e.latlng, hs); }
    });
    RR.hits = hits;
    /* A pinned card: a popup that stays until closed, scrolls inside when taller than the
     * map, and has a button that copies the cell's hex id. */
    function fillPinned(popup, hs) {
      popup.setContent(hs.map(function (h) { return h.layer.card(h.i, true); }).join(''));
      RR.pinned = hs[0].layer.ids[hs[0].i];
      var el = popup.getElement();
      Array.prototype.forEach.call(el ? el.querySelectorAll('.rr-copy') : [], function (b) {
        L.DomEvent.on(b, 'click', function (ev) {
          L.DomEvent.stop(ev);
          RR.copy(b.getAttribute('data-hex'), b);
        });
      });
    }
    RR.pin = function (latlng, hs) {
      close();
      var popup = L.popup({
        maxWidth: 640, maxHeight: Math.max(160, map.getSize().y - 110),
        autoPanPaddingTopLeft: [60, 70], autoPanPaddingBottomRight: [20, 50],
        className: 'rr-pinned'
      }).setLatLng(latlng).setContent('').openOn(map);
      fillPinned(popup, hs);
      RR.pinnedPopup = popup;
      return popup;
    };
    /* A pinned card follows what the map shows: redrawn when the slider's month, a layer or
     * the filter changes (it held the month it was pinned on), closed when no layer shown
     * holds its place any more (the risk layer turned off, its class filtered out). */
    RR.refreshPinned = function () {
      var popup = RR.pinnedPopup;
      if (!popup || !map.hasLayer(popup)) { RR.pinnedPopup = null; return; }
      var hs = hits(popup.getLatLng());
      if (!hs.length) {
        RR.pinnedPopup = null; RR.pinned = null;
        map.closePopup(popup);
        return;
      }
      fillPinned(popup, hs);
    };
    map.on('layeradd layerremove', function (e) {
      if (e.layer && e.layer.d) { RR.refreshPinned(); }  /* a data layer, not a popup */
    });
  };

  /* Copy text to the clipboard (the async API where the page may use it, else a selected
   * textarea and execCommand, which works in a file:// page). */
  RR.copy = function (text, button) {
    function done(ok) {
      RR.copied = ok ? text : null;
      if (button) { button.textContent = ok ? 'copied' : 'select and copy: ' + text; }
    }
    function fallback() {
      var ta = document.createElement('textarea');
      ta.value = text; ta.setAttribute('readonly', '');
      ta.style.position = 'fixed'; ta.style.left = '-1000px';
      document.body.appendChild(ta); ta.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (err) { ok = false; }
      document.body.removeChild(ta);
      done(ok);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
    } else {
      fallback();
    }
  };

  function pointLayer(d, makePopup) {
    var group = d.cluster ? L.markerClusterGroup({chunkedLoading: true, maxClusterRadius: 45})
      : L.featureGroup();
    var markers = new Array(d.lat.length);
    for (var i = 0; i < d.lat.length; i++) {
      var m = L.circleMarker([d.lat[i], d.lon[i]], {
        radius: 5, weight: 1, color: '#222', fillOpacity: 0.85,
        fillColor: d.colors[d.kind[i]] || '#555'
      });
      m.bindPopup(makePopup.bind(null, i), {maxWidth: 420});
      markers[i] = m;
    }
    if (d.cluster) { group.addLayers(markers); } else { markers.forEach(function (m) { group.addLayer(m); }); }
    RR.layers[d.key] = group;
    return group;
  }

  RR.seizureLayer = function (d) {
    return pointLayer(d, function (i) {
      return '<div class="rr-card"><div class="rr-card-title">Seizure</div><table>' +
        row('Date', d.date[i]) + row('Commodity', d.kinds[d.kind[i]]) +
        row('Quantity', fmt(d.quantity[i]) + ' (kg if reported as a mass, else as reported)') + row('Agency', d.agency[i]) +
        row('Note', d.note[i]) + '</table></div>';
    });
  };

  RR.eventLayer = function (d) {
    return pointLayer(d, function (i) {
      return '<div class="rr-card"><div class="rr-card-title">' + d.kinds[d.kind[i]] + '</div><table>' +
        row('Vessel', d.vessel[i]) + (d.other[i] ? row('Other vessel', d.other[i]) : '') +
        row('Start', d.start[i]) + row('End', d.end[i]) + row('Duration', fmt(d.hours[i]) + ' h') +
        '</table></div>';
    });
  };

  /* world-atlas stitches Natural Earth across the antimeridian: a ring of Fiji or Chukotka
   * jumps from 180 to -180 and Antarctica circles the pole, so drawn as given they make
   * bands across the whole map.  Unwrapped vertex to vertex, a ring is contiguous (it may
   * reach past 180; it is drawn in three world copies); a ring that ends a whole turn from
   * where it started goes round a pole and is closed along the map's top or bottom edge. */
  function unwrapLine(c) {
    var out = new Array(c.length), prev = c.length ? c[0][0] : 0;
    for (var i = 0; i < c.length; i++) {
      var x = c[i][0];
      while (x - prev > 180) { x -= 360; }
      while (x - prev < -180) { x += 360; }
      out[i] = [x, c[i][1]]; prev = x;
    }
    return out;
  }
  function unwrapRing(c) {
    var r = unwrapLine(c);
    if (r.length < 2) { return r; }
    var a = r[0], b = r[r.length - 1];
    if (Math.abs(b[0] - a[0]) > 180) {
      var sum = 0;
      for (var i = 0; i < r.length; i++) { sum += r[i][1]; }
      var pole = sum < 0 ? -MAX_LAT : MAX_LAT;
      r.push([b[0], pole], [a[0], pole], [a[0], a[1]]);
    }
    return r;
  }
  /* Move unwrapped rings (a polygon's, or one line) by whole turns, all by the same, so that
   * the middle of the first one's longitudes lies in [-180, 180): a ring round a pole
   * unwrapped to -540..-180 is moved back to -180..180.  ``ext`` ([min, max] longitude) is
   * widened to every vertex: rings reach a little past ±180 where they cross 180°. */
  function placeRings(rings, ext) {
    var first = rings[0] || [], lo = Infinity, hi = -Infinity, i, j, x;
    for (j = 0; j < first.length; j++) {
      x = first[j][0];
      if (x < lo) { lo = x; }
      if (x > hi) { hi = x; }
    }
    var shift = first.length ? -360 * Math.floor(((lo + hi) / 2 + 180) / 360) : 0;
    for (i = 0; i < rings.length; i++) {
      for (j = 0; j < rings[i].length; j++) {
        x = rings[i][j][0] + shift;
        rings[i][j][0] = x;  // vertices are new arrays made by unwrapLine
        if (x < ext[0]) { ext[0] = x; }
        if (x > ext[1]) { ext[1] = x; }
      }
    }
    return rings;
  }
  function turnWide(ring) {
    var lo = Infinity, hi = -Infinity;
    for (var j = 0; j < ring.length; j++) {
      if (ring[j][0] < lo) { lo = ring[j][0]; }
      if (ring[j][0] > hi) { hi = ring[j][0]; }
    }
    return hi - lo >= 359.999;
  }
  /* A polygon's rings unwrapped and placed; an inner ring round a pole (world-atlas gives
   * Antarctica one) becomes a polygon of its own, filled as three world copies filled it. */
  function unwrapPolygon(p, ext) {
    if (!p.length) { return [p]; }
    var rings = p.map(unwrapRing), out = [[rings[0]]];
    for (var i = 1; i < rings.length; i++) {
      if (turnWide(rings[i])) { out.push([rings[i]]); } else { out[0].push(rings[i]); }
    }
    return out.map(function (q) { return placeRings(q, ext); });
  }
  function unwrapGeometry(g, ext) {
    if (!g) { return g; }
    var c = g.coordinates, ps;
    var line = function (l) { return placeRings([unwrapLine(l)], ext)[0]; };
    switch (g.type) {
      case 'Polygon':
        ps = unwrapPolygon(c, ext);
        return ps.length === 1 ? {type: g.type, coordinates: ps[0]} : {type: 'MultiPolygon', coordinates: ps};
      case 'MultiPolygon':
        return {type: g.type, coordinates: [].concat.apply([], c.map(function (p) { return unwrapPolygon(p, ext); }))};
      case 'LineString': return {type: g.type, coordinates: line(c)};
      case 'MultiLineString': return {type: g.type, coordinates: c.map(line)};
      case 'GeometryCollection':
        return {type: g.type, geometries: g.geometries.map(function (x) { return unwrapGeometry(x, ext); })};
      default: return g;
    }
  }
  function unwrapGeoJSON(obj, ext) {
    ext = ext || [Infinity, -Infinity];
    if (obj.type === 'FeatureCollection') {
      return {type: obj.type, features: obj.features.map(function (f) { return unwrapGeoJSON(f, ext); })};
    }
    if (obj.type === 'Feature') {
      return {type: 'Feature', properties: obj.properties || {}, geometry: unwrapGeometry(obj.geometry, ext)};
    }
    return unwrapGeometry(obj, ext);
  }

  /* Draw unwrapped features in the middle world copy, and in the copy 360° east or west
   * only once the view reaches where that copy shows (a map framed away from the
   * antimeridian never needs them: a third of the vertices to project when it opens).
   * ``build(shift)`` returns the layers of one copy; ``extent`` is the [min, max] longitude
   * of the unwrapped data.  The view is first checked when it is framed (the page's
   * fitBounds), else just after the page's script. */
  function worldCopies(map, group, extent, build) {
    var made = {};
    function make(shift) {
      if (made[shift]) { return; }
      made[shift] = true;
      build(shift).forEach(function (layer) { group.addLayer(layer); });
    }
    make(0);
    if (!(extent[0] <= extent[1])) { return; }  // nothing to draw
    function reach() {
      var b = map.getBounds();
      if (b.getEast() > extent[0] + 360) { make(360); }
      if (b.getWest() < extent[1] - 360) { make(-360); }
      if (made[360] && made[-360]) { map.off('moveend viewreset', reach); }
    }
    map.on('moveend viewreset', reach);
    setTimeout(function () { map.whenReady(reach); }, 0);
  }

  /* Offline basemap: TopoJSON (Natural Earth 1:50m by default) or GeoJSON, unwrapped across
   * the antimeridian, drawn in the world copies the view reaches (worldCopies). */
  RR.basemap = function (map, d) {
    if (!map.getPane('rr-base')) { map.createPane('rr-base').style.zIndex = 250; }
    var land, borders = null;
    if (d.topology) {
      land = topojson.feature(d.topology, d.topology.objects.land);
      borders = topojson.mesh(d.topology, d.topology.objects.countries, function (a, b) { return a !== b; });
    } else {
      land = d.geojson;
    }
    var extent = [Infinity, -Infinity];
    land = unwrapGeoJSON(land, extent);
    if (borders) { borders = unwrapGeoJSON(borders, extent); }
    var group = L.featureGroup();
    /* One canvas for the whole basemap: thousands of SVG paths at 1:50m would make every
     * pan and zoom slow. */
    var renderer = L.canvas({pane: 'rr-base', padding: 0.2});
    worldCopies(map, group, extent, function (shift) {
      var c2l = function (c) { return L.latLng(c[1], c[0] + shift); };
      var opts = {coordsToLatLng: c2l, interactive: false, pane: 'rr-base', renderer: renderer};
      var layers = [L.geoJSON(land, L.extend({style: {
        color: '#8d99a6', weight: 0.8, fillColor: '#eceff1', fillOpacity: 1
      }}, opts))];
      if (borders) {
        layers.push(L.geoJSON(borders, L.extend({style: {color: '#b0bac4', weight: 0.5, fill: false}}, opts)));
      }
      return layers;
    });
    RR.layers.basemap = group;
    return group;
  };

  /* Context under the data: ports as small squares named on hover, shipping lanes as
   * dashed lines (unwrapped across the antimeridian, in three world copies). */
  RR.contextLayer = function (d) {
    var group = L.featureGroup();
    if (d.kind === 'ports') {
      for (var i = 0; i < d.lat.length; i++) {
        var m = L.marker([d.lat[i], d.lon[i]], {
          icon: L.divIcon({className: 'rr-port', iconSize: [7, 7]}), keyboard: false,
          bubblingMouseEvents: false
        });
        if (d.names[i]) { m.bindTooltip(d.names[i], {direction: 'top', offset: [0, -4]}); }
        group.addLayer(m);
      }
    } else {
      var lines = unwrapGeoJSON(d.geojson);
      [-360, 0, 360].forEach(function (shift) {
        group.addLayer(L.geoJSON(lines, {
          coordsToLatLng: function (c) { return L.latLng(c[1], c[0] + shift); },
          interactive: false,
          style: {color: '#546e7a', weight: 1.5, opacity: 0.8, dashArray: '6 4', fill: false}
        }));
      });
    }
    RR.layers[d.key] = group;
    return group;
  };

  /* The legend shows a block only while its layer is on the map (and nothing when no block
   * is shown); blocks name their layer's key in data-layer. */
  RR.legendSync = function (map) {
    var legend = document.getElementById('rr-legend');
    if (!legend) { return; }
    var blocks = Array.prototype.slice.call(legend.querySelectorAll('[data-layer]'));
    function sync() {
      var shown = 0;
      blocks.forEach(function (b) {
        var layer = RR.layers[b.getAttribute('data-layer')];
        b.hidden = !(layer && map.hasLayer(layer));
        if (!b.hidden) { shown++; }
      });
      legend.hidden = shown === 0;
    }
    var tracked = new Set(blocks.map(function (b) { return RR.layers[b.getAttribute('data-layer')]; }));
    map.on('layeradd layerremove', function (e) { if (tracked.has(e.layer)) { sync(); } });
    sync();
  };

  /* Quantile classes of a numeric column (null = no data): at most n classes of about equal
   * counts; returns the classes, their breaks and the values. */
  function quantileClasses(values, n) {
    var finite = [], i;
    for (i = 0; i < values.length; i++) {
      if (values[i] !== null && values[i] !== undefined && isFinite(values[i])) { finite.push(values[i]); }
    }
    finite.sort(function (a, b) { return a - b; });
    var breaks = [];
    if (finite.length) {
      breaks.push(finite[0]);
      for (var k = 1; k < n; k++) {
        var b = finite[Math.floor(k * (finite.length - 1) / n)];
        if (b > breaks[breaks.length - 1]) { breaks.push(b); }
      }
      if (finite[finite.length - 1] > breaks[breaks.length - 1] || breaks.length === 1) {
        breaks.push(finite[finite.length - 1]);
      }
    }
    return {breaks: breaks, cls: classesOf(values, breaks)};
  }
  function classesOf(values, breaks) {
    var out = new Int16Array(values.length), last = breaks.length - 2;
    for (var i = 0; i < values.length; i++) {
      var v = values[i];
      if (v === null || v === undefined || !isFinite(v) || last < 0) { out[i] = -1; continue; }
      var k = 0;
      while (k < last && v >= breaks[k + 1]) { k++; }
      out[i] = k;
    }
    return out;
  }
  function pick(colors, n) {
    if (n >= colors.length) { return colors.slice(0, n); }
    var out = [];
    for (var k = 0; k < n; k++) {
      out.push(colors[n === 1 ? colors.length - 1 : Math.round(k * (colors.length - 1) / (n - 1))]);
    }
    return out;
  }

  /* The "Colour, filter, find" control: colour the risk layer by risk, any factor, Gi* z or
   * the trend; show only some classes or values at or above a threshold; find a cell by hex
   * id or "lat, lon" and pin its card.  RR.colourBy, RR.filter and RR.search are the same
   * actions for scripts and tests. */
  RR.controls = function (map, layer) {
    var d = layer.d, P = d.palettes, riskTitle = document.getElementById('rr-legend-risk-title');
    var riskRows = document.getElementById('rr-legend-risk-rows');
    var riskNote = document.getElementById('rr-legend-risk-note');
    /* Coloured by another column, the risk block's own rows are hidden (not rewritten: text
     * read back from innerHTML and parsed again would lose its carriage returns) and a
     * block for the column is shown in their place. */
    var alt = null;
    if (riskTitle) {
      alt = document.createElement('div');
      alt.id = 'rr-legend-colour'; alt.hidden = true;
      riskNote.parentNode.insertBefore(alt, riskNote.nextSibling);
    }
    var schemes = [{key: 'risk', label: 'Risk class'}];
    d.factors.forEach(function (f, k) {
      schemes.push({key: 'factor-' + k, label: f.label + (f.unit ? ' (' + f.unit + ')' : ''),
        values: f.values, unit: f.unit});
    });
    if (d.hotspot && d.hotspot.bin) {
      /* The published Gi* class (gi_bin, from the corrected exact p): the same class as the
       * tables and the outlines; "At least" filters on the z-score. */
      schemes.push({key: 'gi', label: 'Gi* hot and cold spots (class as published; “At least”: Gi* z-score)',
        codes: d.hotspot.bin.map(function (b) { return b === null ? -1 : b + 3; }),
        names: d.hotspot.binLabels, colors: P.diverging, values: d.hotspot.z || null,
        note: 'Gi* classes as in the tables (gi_class), from the ' +
          (d.hotspot.pLabel || 'p') + '; the z-score alone does not make a spot.'});
    } else if (d.hotspot && d.hotspot.z) {
      schemes.push({key: 'gi', label: 'Gi* z-score (standard deviations)', values: d.hotspot.z,
        fixed: [-1e9, -2.58, -1.96, -1.65, 1.65, 1.96, 2.58, 1e9], unit: 'SD',
        note: 'Gi* z-score bands at ±1.65, ±1.96 and ±2.58 SD (not the published significance).'});
    }
    if (d.hotspot && d.hotspot.trend) {
      schemes.push({key: 'trend', label: 'Trend (Mann-Kendall)', codes: d.hotspot.trend,
        names: d.hotspot.trends});
    }
    var state = {scheme: schemes[0], classes: null, values: null, labels: [], off: {}, min: null};

    /* The risk classes as the map shows them now: the current score's breaks in its own unit
     * (a fitted model's risk is a percentile, not points: "very low (0-18.3 points)" was read
     * on the piracy map), or on a month of the slider the one scale of all months (points of
     * the weighted view), which the cells then take. */
    function onMonth() {
      return RR.period !== null && RR.period !== undefined && !!d.timeline;
    }
    function riskLabels() {
      var month = onMonth(), br = month ? (d.timeline.breaks || d.breaks) : d.breaks;
      var unit = month ? ' points' : (typeof d.riskUnit === 'string' ? d.riskUnit : ' points');
      return d.labels.map(function (t, k) {
        return br.length - 1 === d.labels.length ?
          t + ' (' + fmt(br[k]) + '–' + fmt(br[k + 1]) + unit + (month ? ', scale of all months' : '') + ')' :
          t + (month ? ' (scale of all months)' : '');
      });
    }
    function riskValues() {
      var v = onMonth() ? d.timeline.risk[RR.period] : d.risk;
      return v.map(function (x, i) { return d.observed[i] === 1 ? x : null; });
    }
    /* The slider moved: the risk classes' labels and "At least" follow the month shown (the
     * class filter keeps what is ticked; layer.cls is the month's already). */
    RR.refreshRiskControl = function () {
      if (state.scheme.key !== 'risk') { return; }
      var spans = classBox.querySelectorAll('label > span');
      riskLabels().forEach(function (t, k) { if (spans[k]) { spans[k].innerHTML = t; } });
      state.labels = riskLabels(); state.values = riskValues();
      applyFilter();
    };

    function legendRows(colors, labels) {
      return labels.map(function (t, k) {
        return '<div><i style="background:' + colors[k] + '"></i>' + t + '</div>';
      }).join('');
    }
    function apply() {
      var sc = state.scheme, cls, colors, labels = [];
      if (sc.key === 'risk') {
        colors = d.colors; labels = riskLabels();
        state.values = riskValues();
        layer.setColouring('risk', null, colors);
      } else if (sc.codes) {
        cls = Int16Array.from(sc.codes);
        colors = sc.colors ? sc.colors.slice(0, sc.names.length) :
          sc.names.map(function (_, k) { return P.categorical[k % P.categorical.length]; });
        labels = sc.names.slice();
        state.values = sc.values || null;
        layer.setColouring(sc.key, cls, colors);
      } else {
        var q = sc.fixed ? {breaks: sc.fixed, cls: classesOf(sc.values, sc.fixed)} :
          quantileClasses(sc.values, P.ramp.length);
        var nb = q.breaks.length - 1;
        colors = sc.fixed ? P.diverging : pick(P.ramp, Math.max(nb, 1));
        for (var k = 0; k < nb; k++) {
          var lo = q.breaks[k], hi = q.breaks[k + 1];
          labels.push(sc.fixed ? (k === 0 ? '< ' + fmt(hi) : k === nb - 1 ? '≥ ' + fmt(lo) :
            fmt(lo) + ' to ' + fmt(hi)) + ' ' + sc.unit :
            fmt(lo) + '–' + fmt(hi) + (sc.unit ? ' ' + sc.unit : ''));
        }
        state.values = sc.values;
        layer.setColouring(sc.key, q.cls, colors);
      }
      state.labels = labels;
      if (alt) {
        var own = sc.key === 'risk';
        riskTitle.hidden = riskRows.hidden = riskNote.hidden = !own;
        alt.hidden = own;
        if (RR.syncRiskLegend) { RR.syncRiskLegend(); }
        alt.innerHTML = own ? '' : '<div class="rr-legend-title">Colour: ' + sc.label + '</div>' +
          legendRows(colors, labels) + '<div class="rr-legend-note">' + (sc.note ? sc.note :
            sc.codes ? 'Categories of the cell.' :
            'Quantile classes of the cells with a value (about equal counts).') + '</div>';
      }
      renderClasses(colors, labels);
      applyFilter();
    }
    function applyFilter() {
      var n = layer.ids.length, mask = new Uint8Array(n), any = false;
      var cls = layer.cls, vals = state.values, min = state.min;
      for (var i = 0; i < n; i++) {
        var ok = !state.off[cls[i]];
        if (ok && min !== null) { ok = vals !== null && vals[i] !== null && vals[i] >= min; }
        mask[i] = ok ? 1 : 0;
        if (!ok) { any = true; }
      }
      layer.setMask(any ? mask : null);
      RR.shown = any ? mask.reduce(function (a, b) { return a + b; }, 0) : n;
      if (RR.refreshPinned) { RR.refreshPinned(); }
    }

    var div = L.DomUtil.create('div', 'leaflet-control rr-controls');
    div.id = 'rr-controls';
    var details = L.DomUtil.create('details', '', div);
    details.open = true;
    L.DomUtil.create('summary', '', details).innerHTML = 'Colour, filter, find';
    var lab = L.DomUtil.create('label', 'rr-ctl-row', details);
    lab.innerHTML = '<span>Colour by</span>';
    var select = L.DomUtil.create('select', '', lab);
    select.id = 'rr-colour-by';
    schemes.forEach(function (sc) {
      var o = document.createElement('option');
      o.value = sc.key; o.innerHTML = sc.label; select.appendChild(o);
    });
    var classBox = L.DomUtil.create('div', 'rr-ctl-classes', details);
    classBox.id = 'rr-filter-classes';
    var minRow = L.DomUtil.create('label', 'rr-ctl-row', details);
    minRow.innerHTML = '<span>At least</span>';
    var minInput = L.DomUtil.create('input', '', minRow);
    minInput.type = 'number'; minInput.step = 'any'; minInput.id = 'rr-filter-min';
    minInput.placeholder = 'any value';
    var findRow = L.DomUtil.create('form', 'rr-ctl-row', details);
    var find = L.DomUtil.create('input', '', findRow);
    find.type = 'search'; find.id = 'rr-search'; find.placeholder = 'hex id or lat, lon';
    find.setAttribute('aria-label', 'Find a cell by hex id or lat, lon');
    var go = L.DomUtil.create('button', '', findRow);
    go.type = 'submit'; go.innerHTML = 'Find';
    var msg = L.DomUtil.create('div', 'rr-ctl-msg', details);
    msg.id = 'rr-search-msg';

    function renderClasses(colors, labels) {
      classBox.innerHTML = '';
      state.off = {};
      labels.forEach(function (t, k) {
        var l = L.DomUtil.create('label', '', classBox), c = L.DomUtil.create('input', '', l);
        c.type = 'checkbox'; c.checked = true; c.setAttribute('data-class', k);
        var sw = L.DomUtil.create('i', '', l);
        sw.style.background = colors[k];
        L.DomUtil.create('span', '', l).innerHTML = t;
        L.DomEvent.on(c, 'change', function () { state.off[k] = !c.checked; applyFilter(); });
      });
      var l = L.DomUtil.create('label', '', classBox), c = L.DomUtil.create('input', '', l);
      c.type = 'checkbox'; c.checked = true; c.setAttribute('data-class', -1);
      L.DomUtil.create('i', 'rr-nodata-swatch', l);
      L.DomUtil.create('span', '', l).innerHTML = 'no data';
      L.DomEvent.on(c, 'change', function () { state.off[-1] = !c.checked; applyFilter(); });
    }

    RR.colourBy = function (key) {
      var sc = schemes.filter(function (x) { return x.key === key; })[0];
      if (!sc) { return false; }
      state.scheme = sc; select.value = key; minInput.value = ''; state.min = null;
      apply();
      return true;
    };
    RR.colourSchemes = schemes.map(function (x) { return x.key; });
    RR.filter = function (offClasses, min) {
      state.off = {};
      (offClasses || []).forEach(function (k) { state.off[k] = true; });
      Array.prototype.forEach.call(classBox.querySelectorAll('input'), function (c) {
        c.checked = !state.off[+c.getAttribute('data-class')];
      });
      state.min = min === null || min === undefined || min === '' ? null : +min;
      minInput.value = state.min === null ? '' : state.min;
      applyFilter();
    };
    RR.search = function (text) {
      var t = String(text || '').trim(), ll = null, i = -1, id = null;
      var m = /^(-?\d+(?:\.\d+)?)\s*[,; ]\s*(-?\d+(?:\.\d+)?)$/.exec(t);
      if (/^[0-9a-fA-F]{15}$/.test(t)) {
        id = t.toLowerCase();
        if (!h3.isValidCell(id)) { msg.innerHTML = 'not a valid H3 cell id'; return 'invalid'; }
        var c = h3.cellToLatLng(id);
        ll = L.latLng(c[0], c[1]);
        i = layer.index.has(id) ? layer.index.get(id) : -1;
      } else if (m) {
        var lat = +m[1], lon = +m[2];
        if (Math.abs(lat) > 90 || Math.abs(lon) > 180) {
          msg.innerHTML = 'latitude must be within ±90 and longitude within ±180';
          return 'invalid';
        }
        ll = L.latLng(lat, lon);
      } else {
        msg.innerHTML = 'type a hex id (15 hex digits) or "lat, lon"';
        return 'invalid';
      }
      /* The copy of the point nearest the view's centre, so that the map does not fly
       * across the world at the antimeridian. */
      var cx = map.getCenter().lng;
      ll = L.latLng(ll.lat, ll.lng + 360 * Math.round((cx - ll.lng) / 360));
      map.setView(ll, Math.max(map.getZoom(), 6), {animate: false});
      if (i < 0) { i = layer.cellAt(ll); }
      var hs = RR.hits ? RR.hits(ll) : [];
      if (i >= 0 && hs.length && RR.pin) {
        RR.pin(ll, hs);
        msg.innerHTML = '';
        return 'found';
      }
      msg.innerHTML = 'no cell of this map ' + (id ? 'with this id' : 'at this point') +
        (layer.mask ? ' (or it is filtered out)' : '');
      return 'not found';
    };

    L.DomEvent.on(select, 'change', function () { RR.colourBy(select.value); });
    L.DomEvent.on(minInput, 'change', function () {
      state.min = minInput.value === '' ? null : +minInput.value; applyFilter();
    });
    L.DomEvent.on(findRow, 'submit', function (ev) { L.DomEvent.preventDefault(ev); RR.search(find.value); });
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    var Ctl = L.Control.extend({options: {position: 'topleft'}, onAdd: function () { return div; }});
    new Ctl().addTo(map);
    apply();
  };

  /* The side panel sits beside the map: opening it narrows the map (CSS on body), so it
   * never covers the legend, the controls or a card. */
  RR.panelToggle = function (map, open, label) {
    var panel = document.getElementById('rr-panel');
    if (!panel) { return; }
    var button = null;
    function set(on) {
      panel.hidden = !on;
      document.body.classList.toggle('rr-panel-open', on);
      if (button) {
        button.setAttribute('aria-expanded', on ? 'true' : 'false');
        button.classList.toggle('rr-on', on);
      }
      map.invalidateSize({animate: false});
      RR.panelOpen = on;
    }
    var Ctl = L.Control.extend({
      options: {position: 'topleft'},
      onAdd: function () {
        var div = L.DomUtil.create('div', 'leaflet-bar rr-panel-toggle');
        button = L.DomUtil.create('button', '', div);
        button.type = 'button'; button.id = 'rr-panel-toggle';
        button.innerHTML = label;
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.on(button, 'click', function () { set(panel.hidden); });
        return div;
      }
    });
    new Ctl().addTo(map);
    var close = document.getElementById('rr-panel-close');
    if (close) { close.addEventListener('click', function () { set(false); }); }
    set(!!open);
  };

  RR.timeSlider = function (map, hexLayer, periods) {
    var Ctl = L.Control.extend({
      options: {position: 'bottomleft'},
      onAdd: function () {
        var div = L.DomUtil.create('div', 'rr-slider leaflet-control');
        var label = L.DomUtil.create('div', 'rr-slider-label', div);
        var input = L.DomUtil.create('input', '', div);
        input.type = 'range'; input.min = 0; input.max = periods.length; input.step = 1;
        input.value = periods.length;
        input.setAttribute('aria-label', 'month');
        /* Which factors a month takes from today (no history then): said under the slider. */
        var note = L.DomUtil.create('div', 'rr-slider-note', div), tl = hexLayer.d.timeline;
        /* On a month the cells take the timeline's one scale for all months, not the map's
         * breaks: the legend's risk rows are then that scale's (the map's come back with the
         * current score).  Also called by the "Colour by" control. */
        RR.syncRiskLegend = function () {
          var rows = document.getElementById('rr-legend-risk-rows');
          if (!rows) { return; }
          var alt = document.getElementById('rr-legend-month-rows');
          if (!alt) {
            alt = document.createElement('div'); alt.id = 'rr-legend-month-rows';
            rows.parentNode.insertBefore(alt, rows.nextSibling);
          }
          var d = hexLayer.d, own = hexLayer.colourBy === 'risk', month = RR.period !== null &&
            RR.period !== undefined, br = (tl && tl.breaks) || d.breaks;
          var nb = br.length - 1, nc = d.colors.length;
          rows.hidden = !own || month; alt.hidden = !own || !month;
          /* a month is the weighted view's points on the scale of all months, not the current
           * score (a fitted model's percentile): the block's title and breaks note say so */
          var title = document.getElementById('rr-legend-risk-title');
          var note = document.getElementById('rr-legend-risk-note');
          if (title) {
            if (title.getAttribute('data-now') === null) { title.setAttribute('data-now', title.innerHTML); }
            title.innerHTML = month ? 'Risk in ' + periods[RR.period] +
              (d.fitted ? ' (weighted view, points of 100)' : ' (points of 100)') :
              title.getAttribute('data-now');
          }
          if (note && own) { note.hidden = month; }
          if (!month) { alt.innerHTML = ''; return; }
          var h = '';
          for (var k = 0; k < nb; k++) {
            var c = nb === nc || nb < 2 ? k : Math.round(k * (nc - 1) / (nb - 1));
            h += '<div><i style="background:' + d.colors[c] + '"></i>' + d.labels[c] + ' (' +
              fmt(br[k]) + '–' + fmt(br[k + 1]) + ', scale of all months)</div>';
          }
          alt.innerHTML = h;
        };
        function show() {
          var k = +input.value;
          if (k === periods.length) {
            label.innerHTML = 'Risk: current score';
            note.innerHTML = ''; note.hidden = true;
            hexLayer.setPeriod(null); RR.period = null;
          } else {
            label.innerHTML = 'Risk in ' + periods[k] + (hexLayer.d.fitted ? ' (weighted view)' : '');
            var pd = tl && tl.present ? tl.present[k] : '';
            var md = tl && tl.missing ? tl.missing[k] : '';
            note.innerHTML = 'one colour scale for all months' +
              (tl && tl.breaks ? ' (' + tl.breaks.map(fmt).join(' – ') + ')' : '') +
              (pd ? '; present data: ' + pd : '; data up to this month only') +
              (md ? '; no data by this month\'s end (missing, not 0; the other factors weighed): ' + md : '') +
              (tl && tl.fixed ? '; fixed geography, the same in every month: ' + tl.fixed : '');
            note.hidden = false;
            hexLayer.setPeriod(k); RR.period = k;
          }
          RR.syncRiskLegend();
          if (RR.refreshRiskControl) { RR.refreshRiskControl(); }
          if (RR.refreshPinned) { RR.refreshPinned(); }
        }
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.on(input, 'input change', show);
        show();
        RR.slider = input;
        return div;
      }
    });
    return new Ctl().addTo(map);
  };
}());
