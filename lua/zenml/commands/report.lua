local cli = require "zenml.cli"

local usage = [[usage: zenml report RUN... -o FILE.html [--metric NAME]
       zenml report --pipeline NAME --last N -o FILE.html [--metric NAME]

Writes one self-contained HTML page about the runs: the comparison table of
`run compare` with every row and a "differences only" toggle, a
parallel-coordinates plot of the parameters that differ against a metric
(--metric; by default accuracy, macro_f1, r2 or rmse), the training
curves (loss, val_loss, ... per epoch) of every run overlaid, confusion
matrices and ROC curves side by side, per-slice metrics, histograms of the data splits
per column, the provenance of each run (git
commit, dirty flag, YAML path and SHA-256, datasource and version) and the
DAG of each run (cached steps marked). Styles, script and charts (plain SVG)
are inline: the page makes no network request and opens offline.
RUN is a run id, a unique prefix of one, "latest" or "latest~N"; the first
run is the baseline of the deltas.

Options:
  -o FILE, --output FILE   where to write the page (its folder must exist)
  --pipeline NAME --last N the N newest runs of a pipeline, oldest first
  --metric NAME            the metric the parameters are plotted against]]

local spec = { options = { o = true, output = true, pipeline = true, last = true, metric = true } }

local function run(args)
  local opts, pos = cli.parse(args, spec, usage)
  local path = opts.o or opts.output
  if opts.o and opts.output then cli.fail("give -o or --output, not both\n" .. usage, 2) end
  if opts.pipeline and not opts.last then cli.fail("--pipeline needs --last N\n" .. usage, 2) end
  if not path then cli.fail("report needs -o FILE.html\n" .. usage, 2) end
  local repo = cli.repo()
  local runs = require("zenml.commands.run").select_runs(repo, opts, pos, "report", usage)
  if opts.metric then -- a metric no run has is a typo more often than not
    local names, seen = {}, {}
    for _, r in ipairs(runs) do
      for name in pairs(r:metrics()) do
        if not seen[name] then seen[name], names[#names + 1] = true, name end
      end
    end
    if not seen[opts.metric] then
      cli.fail(("report: no run has the metric '%s'%s"):format(opts.metric,
        require("zenml.errors").did_you_mean(opts.metric, names)))
    end
  end
  local ok, err = require("zenml.report").write(runs, path, { metric = opts.metric })
  if not ok then cli.fail("report: " .. err) end
  io.stdout:write(("wrote %s (%d run%s)\n"):format(path, #runs, #runs == 1 and "" or "s"))
  return 0
end

return { usage = usage, run = run }
