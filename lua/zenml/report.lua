--- zenml.report: runs as one self-contained HTML page (`zenml report`,
--- `zenml.report`): the comparison table with a differences-only toggle,
--- training curves overlaid, confusion matrices side by side, per-slice
--- metrics, provenance and the DAG of each run. Every style, script and
--- chart is inline (charts are plain SVG from zenml.svg); the page makes no
--- network request.
local svg = require "zenml.svg"
local output = require "zenml.output"

local esc = svg.escape
local M = {}

local STYLE = [[
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}h3{font-size:1em}
table{border-collapse:collapse;margin:.5em 0}.wide{overflow-x:auto}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f4f4f4}td.sec{color:#888}
td.best{font-weight:bold;background:#e6f4e6}
.delta{color:#777}
body.diffonly tr.same{display:none}
.charts{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
.note{color:#777;font-style:italic}
.swatch{display:inline-block;width:10px;height:10px;margin-right:4px}
td.id{font-family:monospace;font-size:12px;word-break:break-all;min-width:20em}
]]

-- The differences-only toggle: a class on <body> hides the rows whose
-- values are the same in every run.
local SCRIPT = [[
var t=document.getElementById('diffonly');
t.addEventListener('change',function(){document.body.classList.toggle('diffonly',t.checked)});
]]

local function num(v)
  if math.type(v) == "integer" then return tostring(v) end
  return ("%.6g"):format(v)
end

local function cell(v)
  if v == nil then return "" end
  if type(v) == "number" then return num(v) end
  return tostring(v)
end

local function note(text) return '<p class="note">' .. esc(text) .. "</p>" end

-- A run's label in charts: its id (unique, and what every command takes).
local function swatch(i)
  return ('<span class="swatch" style="background:%s"></span>'):format(svg.color(i))
end

local function run_header(runs)
  local h = {}
  for i, r in ipairs(runs) do h[i] = "<th>" .. swatch(i) .. esc(r.id) .. "</th>" end
  return table.concat(h)
end

-- The comparison of every row, equal rows marked to be hidden by the toggle.
local function comparison(runs, cmp)
  local out = { "<h2>Comparison</h2>" }
  if cmp.shared_only then
    out[#out + 1] = note(("The runs are of different pipeline types (%s): only the rows they share are shown.")
      :format(table.concat(cmp:types(), ", ")))
  end
  out[#out + 1] = '<label><input type="checkbox" id="diffonly" checked> differences only</label>'
  out[#out + 1] = '<div class="wide"><table id="comparison"><thead><tr><th></th><th></th>' .. run_header(runs) .. "</tr></thead><tbody>"
  for _, row in ipairs(cmp.rows) do
    local same = not row.differs
    local tds = {}
    for i = 1, #runs do
      local text, best = cmp:cell(row, i)
      local value, delta = text:gsub(" %*$", ""):match("^(.-)( %(.*%))$")
      local shown = value and (esc(value) .. '<span class="delta">' .. esc(delta) .. "</span>")
        or esc((text:gsub(" %*$", "")))
      tds[i] = ('<td class="%s%s">%s</td>'):format(type(row.values[i]) == "number" and "n" or "",
        best and " best" or "", shown)
    end
    out[#out + 1] = ('<tr%s><td class="sec">%s</td><th>%s</th>%s</tr>'):format(same and ' class="same"' or "",
      esc(row.section), esc(row.name), table.concat(tds))
  end
  out[#out + 1] = "</tbody></table></div>"
  out[#out + 1] = note("Deltas are to the first run; the best value of each metric is bold "
    .. "(lower is better for losses and errors, higher for the rest).")
  return table.concat(out, "\n")
end

-- The metric the parallel-coordinates plot ends on: `chosen`, else the
-- first headline metric the runs have, else the first metric that differs.
local HEADLINE = { "accuracy", "macro_f1", "r2", "rmse" }

local function plot_metric(cmp, chosen)
  local metrics = {}
  for _, row in ipairs(cmp.rows) do
    if row.section == "metric" then metrics[row.name] = row end
  end
  if chosen then return metrics[chosen], chosen end
  for _, name in ipairs(HEADLINE) do
    if metrics[name] then return metrics[name], name end
  end
  for _, row in ipairs(cmp.rows) do
    if row.section == "metric" and row.differs then return row, row.name end
  end
end

-- Parameters against a metric, one line per run; parameters equal in
-- every run are left out.
local function parallel(runs, cmp, chosen)
  local out = { "<h2>Parameters and " .. esc(chosen or "the metric") .. "</h2>" }
  local metric, name = plot_metric(cmp, chosen)
  local axes = {}
  for _, row in ipairs(cmp.rows) do
    if row.section == "param" and row.differs then axes[#axes + 1] = { name = row.name, values = row.values } end
  end
  if #runs < 2 or #axes == 0 or not metric then
    out[1] = "<h2>Parameters and metric</h2>"
    out[#out + 1] = note(#runs < 2 and "One run: nothing to plot against." or not metric
      and ("No run has the metric '%s'."):format(tostring(chosen or "accuracy"))
      or "No parameter differs between the runs.")
    return table.concat(out, "\n")
  end
  out[1] = "<h2>Parameters and " .. esc(name) .. "</h2>"
  axes[#axes + 1] = { name = name, values = metric.values }
  local items = {}
  for i, r in ipairs(runs) do items[i] = { name = r.id } end
  out[#out + 1] = svg.parallel { title = "parameters that differ, and " .. name, axes = axes, items = items }
  return table.concat(out, "\n")
end

-- The per-epoch series of each run's history: name -> {{run index, xs, ys}}.
local function histories(runs)
  local series, names, missing = {}, {}, {}
  for i, run in ipairs(runs) do
    local h = run:history()
    if h then
      local xs = h:col("epoch"):to_table()
      for _, name in ipairs(h:names()) do
        if name ~= "epoch" then
          if not series[name] then series[name], names[#names + 1] = {}, name end
          table.insert(series[name], { i = i, xs = xs, ys = h:col(name):to_table() })
        end
      end
    else
      missing[#missing + 1] = run.id
    end
  end
  table.sort(names, function(a, b)
    local ra, rb = a == "loss" and 0 or a == "val_loss" and 1 or 2, b == "loss" and 0 or b == "val_loss" and 1 or 2
    if ra ~= rb then return ra < rb end
    return a < b
  end)
  return series, names, missing
end

local function curves(runs)
  local series, names, missing = histories(runs)
  local out = { "<h2>Training curves</h2>" }
  if #names == 0 then
    out[#out + 1] = note("None of the runs has a training history.")
    return table.concat(out, "\n")
  end
  out[#out + 1] = '<div class="charts">'
  for _, name in ipairs(names) do
    local lines = {}
    for _, s in ipairs(series[name]) do
      lines[#lines + 1] = { name = runs[s.i].id, xs = s.xs, ys = s.ys, color = svg.color(s.i) }
    end
    out[#out + 1] = svg.line_chart { title = name .. " per epoch", xlabel = "epoch", ylabel = name,
      series = lines }
  end
  out[#out + 1] = "</div>"
  if #missing > 0 then out[#out + 1] = note("No training history: " .. table.concat(missing, ", ")) end
  return table.concat(out, "\n")
end

-- A run's confusion matrix from its `confusion.<true>.<predicted>` metrics.
local function confusion_of(metrics)
  local cells, seen, labels = {}, {}, {}
  for name, v in pairs(metrics) do
    local truth, pred = name:match("^confusion%.([^.]+)%.(.+)$")
    if truth then
      cells[truth] = cells[truth] or {}
      cells[truth][pred] = v
      for _, l in ipairs { truth, pred } do
        if not seen[l] then seen[l], labels[#labels + 1] = true, l end
      end
    end
  end
  if #labels == 0 then return nil end
  table.sort(labels)
  local values = {}
  for r, t in ipairs(labels) do
    values[r] = {}
    for c, p in ipairs(labels) do values[r][c] = cells[t] and cells[t][p] or 0 end
  end
  return labels, values
end

local function confusions(runs, metrics)
  local out = { "<h2>Confusion matrices</h2>", '<div class="charts">' }
  local none = {}
  for i, run in ipairs(runs) do
    local labels, values = confusion_of(metrics[i])
    if labels then
      out[#out + 1] = svg.heatmap { title = run.id, rows = labels, cols = labels, values = values,
        rlabel = "true ↓", clabel = "predicted" }
    else
      none[#none + 1] = run.id
    end
  end
  out[#out + 1] = "</div>"
  if #none == #runs then return "<h2>Confusion matrices</h2>\n" .. note("None of the runs has a confusion matrix.") end
  if #none > 0 then out[#out + 1] = note("No confusion matrix: " .. table.concat(none, ", ")) end
  return table.concat(out, "\n")
end

-- The ROC curve of one class against the rest: points (fpr, tpr) as the
-- threshold sweeps down the scores, and the area under it.
local function roc(labels, scores, class)
  local idx, pos, neg = {}, 0, 0
  for i = 1, #scores do
    if scores[i] ~= nil and labels[i] ~= nil then
      idx[#idx + 1] = i
      if tostring(labels[i]) == class then pos = pos + 1 else neg = neg + 1 end
    end
  end
  if pos == 0 or neg == 0 then return nil end
  table.sort(idx, function(a, b) return scores[a] > scores[b] end)
  local xs, ys, tp, fp, auc = { 0 }, { 0 }, 0, 0, 0
  for k, i in ipairs(idx) do
    if tostring(labels[i]) == class then tp = tp + 1 else fp = fp + 1 end
    local nxt = idx[k + 1]
    if not nxt or scores[nxt] ~= scores[i] then -- one point per distinct threshold
      local x, y = fp / neg, tp / pos
      auc = auc + (x - xs[#xs]) * (y + ys[#ys]) / 2
      xs[#xs + 1], ys[#ys + 1] = x, y
    end
  end
  return xs, ys, auc
end

-- A run's predictions frame (label, prediction, p_<class>...), or nil.
local function predictions_of(run)
  for _, a in ipairs(run:artifacts()) do
    if a.name == "predictions" and a.type == "frame" then
      local f = a:read()
      if require("zenml.frame").is_frame(f) then return f end
    end
  end
end

-- One-vs-rest ROC curves of each class from a run's predicted probabilities.
local function roc_chart(run)
  local f = predictions_of(run)
  if not f then return nil end
  local label, classes = nil, {}
  for _, name in ipairs(f:names()) do
    local class = name:match("^p_(.+)$")
    if class then
      classes[#classes + 1] = class
    elseif name ~= "prediction" then
      if label then return nil end -- more than one candidate: not a classifier's output
      label = name
    end
  end
  if not label or #classes < 2 then return nil end
  local labels = f:col(label):to_table()
  local series = { { name = "chance", xs = { 0, 1 }, ys = { 0, 1 }, color = "#aaa", dash = true } }
  for k, class in ipairs(classes) do
    local xs, ys, auc = roc(labels, f:col("p_" .. class):to_table(), class)
    if xs then
      series[#series + 1] = { name = ("%s (AUC %.3f)"):format(class, auc), xs = xs, ys = ys, color = svg.color(k) }
    end
    if #classes == 2 then break end -- two classes: one curve says it all
  end
  if #series == 1 then return nil end
  return svg.line_chart { title = "ROC · " .. run.id, xlabel = "false positive rate",
    ylabel = "true positive rate", series = series, width = 520, height = 300 }
end

local function rocs(runs)
  local out = { "<h2>ROC curves</h2>", note("One class against the rest, from the predicted probabilities."),
    '<div class="charts">' }
  local none = {}
  for _, run in ipairs(runs) do
    local chart = roc_chart(run)
    if chart then out[#out + 1] = chart else none[#none + 1] = run.id end
  end
  out[#out + 1] = "</div>"
  if #none == #runs then return "<h2>ROC curves</h2>\n" .. note("None of the runs has predicted probabilities.") end
  if #none > 0 then out[#out + 1] = note("No predicted probabilities: " .. table.concat(none, ", ")) end
  return table.concat(out, "\n")
end

-- `slices.<column>.<value>.<metric>` rows: column, value, metric, one cell per run.
local function slices(runs, metrics)
  local rows, byKey = {}, {}
  for i = 1, #runs do
    for name, v in pairs(metrics[i]) do
      local col, value, metric = name:match("^slices%.([^.]+)%.(.+)%.([^.]+)$")
      if col then
        local key = col .. "\0" .. value .. "\0" .. metric
        local row = byKey[key]
        if not row then
          row = { col = col, value = value, metric = metric, values = {} }
          byKey[key], rows[#rows + 1] = row, row
        end
        row.values[i] = v
      end
    end
  end
  local out = { "<h2>Per-slice metrics</h2>" }
  if #rows == 0 then
    out[#out + 1] = note("None of the runs has slice metrics (an evaluator's `slices` parameter).")
    return table.concat(out, "\n")
  end
  table.sort(rows, function(a, b)
    if a.col ~= b.col then return a.col < b.col end
    if a.value ~= b.value then return a.value < b.value end
    return a.metric < b.metric
  end)
  out[#out + 1] = "<table><thead><tr><th>slice</th><th>value</th><th>metric</th>" .. run_header(runs)
    .. "</tr></thead><tbody>"
  local direction = require("zenml.compare").direction
  for _, row in ipairs(rows) do
    local best
    if row.metric ~= "count" and #runs > 1 then
      for i = 1, #runs do
        local v = row.values[i]
        if type(v) == "number" and (best == nil or (direction(row.metric) == "lower") == (v < best)) and v ~= best then
          best = v
        end
      end
    end
    local have, at_best = 0, 0
    for i = 1, #runs do
      if row.values[i] ~= nil then have = have + 1 end
      if best ~= nil and row.values[i] == best then at_best = at_best + 1 end
    end
    if at_best == have then best = nil end -- the same everywhere: nothing is best
    local tds = {}
    for i = 1, #runs do
      local v = row.values[i]
      tds[i] = ('<td class="n%s">%s</td>'):format(best ~= nil and v == best and " best" or "", esc(cell(v)))
    end
    out[#out + 1] = ("<tr><td>%s</td><td>%s</td><td>%s</td>%s</tr>"):format(esc(row.col), esc(row.value),
      esc(row.metric), table.concat(tds))
  end
  out[#out + 1] = "</tbody></table>"
  return table.concat(out, "\n")
end

-- The split frames a run's steps read (`splits.<name>` inputs): name ->
-- artifact, and a key that is the same for runs that used the same splits.
local function splits_of(run)
  local found, names = {}, {}
  for _, a in ipairs(run:artifacts()) do
    local name = a.kind == "input" and a.type == "frame" and a.name:match("^splits%.(.+)$")
    if name and not found[name] then found[name], names[#names + 1] = a, name end
  end
  table.sort(names)
  local ids = {}
  for i, name in ipairs(names) do ids[i] = found[name].id end
  return found, names, table.concat(ids, ",")
end

-- One histogram per numeric column, the splits overlaid; text columns as
-- their most frequent values per split.
local function split_charts(found, names)
  local stats, columns, order = {}, {}, {}
  for _, name in ipairs(names) do
    local f = found[name]:read()
    if require("zenml.frame").is_frame(f) then
      stats[name] = require("zenml.stats").compute(f)
      for _, c in ipairs(stats[name].columns) do
        if not columns[c.name] then columns[c.name], order[#order + 1] = {}, c.name end
        columns[c.name][name] = c
      end
    end
  end
  local charts, texts = {}, {}
  for _, col in ipairs(order) do
    local series, tops = {}, {}
    for k, name in ipairs(names) do
      local c = columns[col][name]
      if c and c.histogram then
        series[#series + 1] = { name = name, edges = c.histogram.edges, counts = c.histogram.counts,
          color = svg.color(k) }
      elseif c and c.top then
        local parts = {}
        for i, t in ipairs(c.top) do parts[i] = ("%s %d"):format(tostring(t.value), t.count) end
        tops[#tops + 1] = ("%s: %s"):format(name, table.concat(parts, ", "))
      end
    end
    if #series > 0 then charts[#charts + 1] = svg.histogram { title = col, series = series } end
    if #tops > 0 then
      texts[#texts + 1] = "<tr><th>" .. esc(col) .. "</th><td>" .. esc(table.concat(tops, "; ")) .. "</td></tr>"
    end
  end
  local out = { '<div class="charts">' .. table.concat(charts, "\n") .. "</div>" }
  if #texts > 0 then out[#out + 1] = "<table>" .. table.concat(texts) .. "</table>" end
  return table.concat(out, "\n")
end

local function splits(runs)
  local out, groups, byKey = { "<h2>Data splits</h2>" }, {}, {}
  for _, run in ipairs(runs) do
    local found, names, key = splits_of(run)
    if #names > 0 then
      local g = byKey[key]
      if not g then
        g = { found = found, names = names, runs = {} }
        byKey[key], groups[#groups + 1] = g, g
      end
      g.runs[#g.runs + 1] = run.id
    end
  end
  if #groups == 0 then
    out[#out + 1] = note("None of the runs split its data.")
    return table.concat(out, "\n")
  end
  out[#out + 1] = note("Histograms per column (share of each split's rows); runs that used the same splits share one set.")
  for _, g in ipairs(groups) do
    out[#out + 1] = ("<h3>%s of %s</h3>"):format(esc(table.concat(g.names, ", ")),
      esc(#g.runs <= 5 and table.concat(g.runs, ", ") or (#g.runs .. " runs")))
    out[#out + 1] = split_charts(g.found, g.names)
  end
  return table.concat(out, "\n")
end

local PROVENANCE = { "run", "pipeline", "status", "started", "git commit", "dirty", "YAML", "YAML sha256",
  "datasource", "datasource version", "backend" }

local function provenance(runs)
  local out = { "<h2>Provenance</h2>", "<table><thead><tr>" }
  for _, h in ipairs(PROVENANCE) do out[#out + 1] = "<th>" .. esc(h) .. "</th>" end
  out[#out + 1] = "</tr></thead><tbody>"
  for i, run in ipairs(runs) do
    local doc = require("zenml.compare").doc_of(run) or {}
    local ds = type(doc.datasource) == "table" and doc.datasource or {}
    local cells = { swatch(i) .. esc(run.id), esc(run.pipeline .. " v" .. tostring(run.pipeline_version)),
      esc(run.status), esc(output.time(run.started) or ""), esc(run.git_commit or ""),
      run.git_commit and (run.git_dirty and "yes" or "no") or "", esc(run.yaml_path or ""),
      esc(run.yaml_hash or ""), esc(cell(ds.name)), esc(cell(ds.version)), esc(run.backend or "") }
    local tds = {}
    for k, c in ipairs(cells) do
      tds[k] = (k == 5 or k == 8) and '<td class="id">' .. c .. "</td>" or "<td>" .. c .. "</td>"
    end
    out[#out + 1] = "<tr>" .. table.concat(tds) .. "</tr>"
  end
  out[#out + 1] = "</tbody></table>"
  return table.concat(out, "\n")
end

local function dags(runs)
  local out = { "<h2>Pipelines</h2>", note("Cached steps are grey with a dashed border, failed steps red."),
    '<div class="charts">' }
  for _, run in ipairs(runs) do
    local ok, g = pcall(run.graph, run)
    if ok then
      out[#out + 1] = svg.dag { title = g.pipeline .. " · " .. run.id, steps = g.steps }
    else
      out[#out + 1] = note(("%s: no DAG (its recorded YAML cannot be read)"):format(run.id))
    end
  end
  out[#out + 1] = "</div>"
  return table.concat(out, "\n")
end

-- The comparison of every row, each row marked `differs` when its values
-- are not the same in every run.
local function compare_all(runs)
  local cmp = require("zenml.compare").compare(runs, { all = true })
  for _, row in ipairs(cmp.rows) do
    row.differs = false
    for i = 2, #runs do
      if cell(row.values[i]) ~= cell(row.values[1]) then row.differs = true end
    end
  end
  return cmp
end

--- The report of `runs` (Run objects, at least one) as HTML text; `metric`
--- is the metric the parameters are plotted against (default: accuracy,
--- macro_f1, r2 or rmse, whichever the runs have first).
---@param runs table[]
---@param opts? {metric?: string}
---@return string
function M.html(runs, opts)
  opts = opts or {}
  local cmp = compare_all(runs)
  local metrics = {}
  for i, run in ipairs(runs) do metrics[i] = run:metrics() end
  local ids = {}
  for i, r in ipairs(runs) do ids[i] = r.id end
  local title = #runs == 1 and ("zenml report: run " .. runs[1].id) or ("zenml report: %d runs"):format(#runs)
  return table.concat({
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<title>" .. esc(title) .. "</title>",
    "<style>" .. STYLE .. "</style></head>",
    '<body class="diffonly">',
    "<h1>" .. esc(title) .. "</h1>",
    ("<p>Made by zenml %s at %s from %s.</p>"):format(esc(require("zenml").version or ""),
      esc(output.time(os.time())), esc(#ids <= 5 and table.concat(ids, ", ")
        or ("%s ... %s (%d runs)"):format(ids[1], ids[#ids], #ids))),
    comparison(runs, cmp),
    parallel(runs, cmp, opts.metric),
    curves(runs),
    confusions(runs, metrics),
    rocs(runs),
    slices(runs, metrics),
    splits(runs),
    provenance(runs),
    dags(runs),
    "<script>" .. SCRIPT .. "</script>",
    "</body></html>",
    "",
  }, "\n")
end

--- Write the report of `runs` to `path`.
---@param runs table[]
---@param path string
---@param opts? {metric?: string}
---@return boolean|nil ok
---@return string? message when the file cannot be written
function M.write(runs, path, opts)
  local folder = path:match("^(.*)/[^/]*$")
  if folder and folder ~= "" and require("zenml._core").sys.file_kind(folder) ~= "folder" then
    return nil, ("cannot write %s: no such folder"):format(path)
  end
  local html = M.html(runs, opts)
  local f, err = io.open(path, "w")
  if not f then return nil, ("cannot write %s: %s"):format(path, (err:gsub("^[^:]*: ", ""))) end
  local ok, werr = f:write(html)
  f:close()
  if not ok then return nil, ("cannot write %s: %s"):format(path, werr) end
  return true
end


return M
