/* lotusar operator map: footprints, flood tiles, ground tracks, station masks, planned
 * acquisitions, with a time slider. Everything comes from this server (no CDN, no basemap):
 * the background is a plain sea colour with a 10° graticule. */
(function () {
  "use strict";
  var map = L.map("map", { worldCopyJump: true, minZoom: 1, maxZoom: 18, attributionControl: false }).setView([20, 0], 2);
  var statusEl = document.getElementById("status");
  var state = { footprints: [], floodLayers: [], floodTiles: 0, planFeatures: 0, tmin: null, tmax: null };

  // --- graticule (local background) ---
  var grat = [];
  for (var lon = -180; lon <= 180; lon += 10) grat.push([[-85, lon], [85, lon]]);
  for (var lat = -80; lat <= 80; lat += 10) grat.push([[lat, -180], [lat, 180]]);
  L.polyline(grat, { color: "#3a506b", weight: 1, opacity: 0.7, interactive: false, className: "graticule" }).addTo(map);

  var fpLayer = L.geoJSON(null, {
    style: function () { return { color: "#ff8c00", weight: 3, fill: false, className: "footprint" }; },
    onEachFeature: function (f, layer) {
      layer.bindPopup("<b>" + f.id + "</b><br>" + f.collection + "<br>" + (f.properties.datetime || f.properties.start_datetime));
    }
  }).addTo(map);
  var tracks = L.geoJSON(null, { style: { color: "#ffd400", weight: 2, className: "ground-track" } }).addTo(map);
  var masks = L.geoJSON(null, { style: { color: "#2ecc71", weight: 1, fillOpacity: 0.03, className: "station-mask" } }).addTo(map);
  var acqs = L.geoJSON(null, { style: { color: "#c04cfd", weight: 2, dashArray: "4 3", fillOpacity: 0.04, className: "acquisition" } }).addTo(map);
  var floodGroup = L.layerGroup().addTo(map);

  function timeOf(p) {
    var s = p.datetime || p.start_datetime || p.start;
    return s ? Date.parse(s) : null;
  }
  function report() {
    statusEl.dataset.footprints = String(fpLayer.getLayers().length);
    statusEl.dataset.floodLayers = String(state.floodLayers.length);
    statusEl.dataset.floodTiles = String(state.floodTiles);
    statusEl.dataset.planFeatures = String(state.planFeatures);
    statusEl.dataset.fleetFeatures = String(state.fleetFeatures || 0);
    statusEl.textContent = fpLayer.getLayers().length + " footprints · " + state.floodLayers.length + " flood maps · " +
      state.planFeatures + " plan features · " + (state.fleetFeatures || 0) + " fleet tracks/masks";
  }
  function getJSON(url, body) {
    var opt = body ? { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) } : {};
    return fetch(url, opt).then(function (r) { if (!r.ok) throw new Error(url + " → " + r.status); return r.json(); });
  }
  async function searchAll(body, maxPages) {
    var out = [], page = 0, req = body;
    while (req && page < maxPages) {
      var fc = await getJSON("/search", req);
      out = out.concat(fc.features);
      var next = (fc.links || []).filter(function (l) { return l.rel === "next"; })[0];
      req = next && next.body ? next.body : null;
      page++;
    }
    return out;
  }

  function applyTime() {
    var slider = document.getElementById("slider");
    var t = state.tmin === null ? Infinity : state.tmin + (state.tmax - state.tmin) * (slider.value / 1000);
    document.getElementById("slider-label").textContent = isFinite(t) ? new Date(t).toISOString().slice(0, 16) + "Z" : "—";
    fpLayer.clearLayers();
    if (document.getElementById("show-footprints").checked) {
      state.footprints.forEach(function (f) { var ft = timeOf(f.properties); if (ft === null || ft <= t + 1) fpLayer.addData(f); });
    }
    state.floodLayers.forEach(function (fl) {
      var on = document.getElementById("show-flood").checked && (fl.time === null || fl.time <= t + 1);
      if (on && !floodGroup.hasLayer(fl.layer)) floodGroup.addLayer(fl.layer);
      if (!on && floodGroup.hasLayer(fl.layer)) floodGroup.removeLayer(fl.layer);
    });
    report();
  }

  async function addFlood(item) {
    var keys = Object.keys(item.assets || {});
    var isTiff = function (k) { var t = item.assets[k].type || ""; return t.indexOf("tiff") >= 0 || /\.tiff?$/i.test(item.assets[k].href || ""); };
    var key = ["classes", "data", "flood"].filter(function (k) { return item.assets[k] && isTiff(k); })[0] ||
      keys.filter(function (k) { return isTiff(k) && (item.assets[k].roles || []).indexOf("data") >= 0; })[0] ||
      keys.filter(isTiff)[0];
    if (!key) return;
    var tj = await getJSON("/tiles/" + encodeURIComponent(item.id) + "/" + encodeURIComponent(key) + "/tilejson.json?collection=" + encodeURIComponent(item.collection));
    var b = tj.bounds;
    var layer = L.tileLayer(tj.tiles[0], {
      bounds: L.latLngBounds([b[1], b[0]], [b[3], b[2]]), maxNativeZoom: Math.max(tj.maxzoom, 1), maxZoom: 18,
      opacity: 0.9, className: "flood-tiles", zIndex: 5
    });
    layer.on("tileload", function () { state.floodTiles++; report(); });
    state.floodLayers.push({ layer: layer, time: timeOf(item.properties), item: item.id });
  }

  async function load() {
    try {
      var feats = await searchAll({ limit: 500 }, 10);
      state.footprints = feats;
      var times = feats.map(function (f) { return timeOf(f.properties); }).filter(function (x) { return x !== null; });
      if (times.length) { state.tmin = Math.min.apply(null, times); state.tmax = Math.max.apply(null, times); }
      var floods = feats.filter(function (f) {
        return f.collection === "lotusar-flood" || f.properties["lotusar:product_type"] === "flood" ||
          /flood/i.test(f.collection || "") || /flood/i.test(f.id || "");
      });
      for (var i = 0; i < floods.length; i++) { try { await addFlood(floods[i]); } catch (e) { console.warn(e); } }
      var layers = await getJSON("/map/layers.geojson");
      layers.features.forEach(function (f) {
        var k = f.properties.kind;
        if (k === "ground_track" || k === "pass" || k === "downlink") tracks.addData(f);
        else if (k === "station_mask") masks.addData(f);
        else if (k === "acquisition") acqs.addData(f);
      });
      state.planFeatures = layers.features.length;
      if (state.tmax !== null) {  // the fleet's ground tracks and station masks around the latest product
        try {
          var t0 = new Date(state.tmax - 50 * 60000).toISOString(), t1 = new Date(state.tmax + 50 * 60000).toISOString();
          var fl = await getJSON("/map/fleet.geojson?start=" + encodeURIComponent(t0) + "&end=" + encodeURIComponent(t1));
          fl.features.forEach(function (f) {
            if (f.properties.kind === "ground_track") tracks.addData(f); else masks.addData(f);
          });
          state.fleetFeatures = fl.features.length;
        } catch (e) { console.warn(e); state.fleetFeatures = 0; }
      }
      applyTime();
      // zoom to the data products (flood maps first), not to the wide plan layers
      var focus = floods.length ? floods : feats.filter(function (f) { return f.collection !== "lotusar-plan"; });
      var fb = L.geoJSON({ type: "FeatureCollection", features: focus.length ? focus : feats }).getBounds();
      if (fb.isValid()) map.fitBounds(fb.pad(0.15));
      statusEl.dataset.ready = "true";
      report();
    } catch (e) {
      statusEl.textContent = "error: " + e.message;
      statusEl.dataset.ready = "error";
    }
  }
  document.getElementById("slider").addEventListener("input", applyTime);
  ["show-footprints", "show-flood"].forEach(function (id) { document.getElementById(id).addEventListener("change", applyTime); });
  [["show-tracks", tracks], ["show-masks", masks], ["show-acq", acqs]].forEach(function (p) {
    document.getElementById(p[0]).addEventListener("change", function (e) { if (e.target.checked) map.addLayer(p[1]); else map.removeLayer(p[1]); });
  });
  window.lotusarMap = { map: map, state: state, applyTime: applyTime };
  load();
})();
