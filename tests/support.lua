--- Helpers for end-to-end specs: run the real zenml binary, make throwaway
--- folders and git repositories.
local support = {}

support.zenml = os.getenv("ZENML_BIN") or "build/zenml"
support.src = os.getenv("ZENML_SRC") or "."

--- Quote a string for the shell.
function support.q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end
support.slurp = slurp

--- Write a file (creating nothing else).
function support.write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

--- Run a shell command; returns stdout, stderr, exit status.
---@param cmd string
---@param opts? {cwd?: string, stdin?: string, env?: table<string, string>}
function support.sh(cmd, opts)
  opts = opts or {}
  local out, err = os.tmpname(), os.tmpname()
  local full = cmd .. " >" .. out .. " 2>" .. err
  if opts.stdin then
    local input = os.tmpname()
    support.write(input, opts.stdin)
    full = full .. " <" .. input
  else
    full = full .. " </dev/null"
  end
  if opts.env then
    local vars = {}
    for k, v in pairs(opts.env) do vars[#vars + 1] = k .. "=" .. support.q(v) end
    table.sort(vars)
    full = table.concat(vars, " ") .. " " .. full
  end
  if opts.cwd then full = "cd " .. support.q(opts.cwd) .. " && " .. full end
  local _, _, code = os.execute(full)
  local o, e = slurp(out), slurp(err)
  os.remove(out)
  os.remove(err)
  return o, e, code
end

--- Run zenml with arguments (a string, already quoted as needed).
function support.zenml_run(args, opts)
  return support.sh(support.q(support.zenml) .. " " .. args, opts)
end

--- A fresh empty folder, removed by support.cleanup().
local made = {}
function support.tmpdir()
  local p = assert(io.popen("mktemp -d /tmp/zenml-test-XXXXXX")):read("l")
  made[#made + 1] = p
  return p
end

--- A fresh git repository (no commits) with an identity set.
function support.git_repo()
  local dir = support.tmpdir()
  local _, err, code = support.sh("git init -q -b main . && git config user.email t@example.com"
    .. " && git config user.name tester", { cwd = dir })
  assert(code == 0, err)
  return dir
end

--- The metadata store the specs' repositories use: ZM_E2E_METADATA_URL names
--- a MariaDB server (tests/mariadb/with_server.sh), where each repository
--- gets a database of its own; nil for the default SQLite file.
support.metadata = os.getenv("ZM_E2E_METADATA_URL")
local databases = {}

--- Run SQL as the test server's `zenml` user (the mariadb client).
function support.server_sql(sql)
  return support.sh("MYSQL_PWD=\"$ZENML_MYSQL_PASSWORD\" mariadb --no-defaults -N -B"
    .. " -h 127.0.0.1 -P \"$ZM_MARIADB_PORT\" -u zenml -e " .. support.q(sql))
end

--- A new empty database on the test server; its mysql:// URL.
function support.new_database(dir)
  local name = "zenml_e2e_" .. dir:match("([%w]+)$")
  local _, err, code = support.server_sql("DROP DATABASE IF EXISTS " .. name
    .. "; CREATE DATABASE " .. name)
  assert(code == 0, err)
  databases[#databases + 1] = name
  return (support.metadata:gsub("/[^/?]*(%??[^/]*)$", "/" .. name .. "%1"))
end

--- `zenml init` in `dir`, on a database of its own when specs run on a
--- server. Returns init's stdout, stderr and exit status.
function support.init(dir, args)
  args = args or ""
  if support.metadata then
    args = "--metadata " .. support.q(support.new_database(dir)) .. " " .. args
  end
  return support.zenml_run("init " .. args, { cwd = dir })
end

--- The metadata URL as `zenml init` (support.init) recorded it for `dir`.
function support.metadata_url(dir)
  local cfg = slurp(dir .. "/.zenml/config.yaml")
  return cfg:match("metadata: (%S+)")
end

--- Rows of a query on the repository's metadata, through zenml (so on either
--- driver): one line per row, columns joined by '|' in the order of their
--- names (a row comes back as a table), NULL left out.
function support.sql(dir, query)
  local script = os.tmpname()
  support.write(script, [[
local rows = require("zenml").repo():meta():query(...)
for _, r in ipairs(rows) do
  local names, cols = {}, {}
  for k in pairs(r) do names[#names + 1] = k end
  table.sort(names)
  for i, k in ipairs(names) do cols[i] = tostring(r[k]) end
  io.write(table.concat(cols, "|"), "\n")
end
]])
  local out, err, code = support.zenml_run(support.q(script) .. " " .. support.q(query), { cwd = dir })
  os.remove(script)
  assert(code == 0, err)
  return out
end

--- The text of a Training pipeline on tests/data/iris.csv (datasource
--- "iris"); `opts` replaces its parts: name ("iris"), split (a Lua
--- expression, default a 70/30 Random split with seed 42), pre (default
--- Standard with label species), trainer (default `train.Logistic {}`),
--- tail (Lua code after the pipeline is built, default `p:run()`).
---@param opts? {name?: string, split?: string, pre?: string, trainer?: string, tail?: string}
---@return string
function support.iris_pipeline(opts)
  opts = opts or {}
  return table.concat({
    'local zenml = require "zenml"',
    'local split = require "zenml.steps.split"',
    'local pre   = require "zenml.steps.preprocesser"',
    'local train = require "zenml.steps.trainer"',
    'local eval  = require "zenml.steps.evaluator"',
    ('local p = zenml.pipelines.Training { name = %q }'):format(opts.name or "iris"),
    'p:add_datasource(zenml.datasources.CSV { name = "iris", path = "data/iris.csv" })',
    "p:add_split(" .. (opts.split or "split.Random { split_map = { train = 0.7, eval = 0.3 }, seed = 42 }") .. ")",
    "p:add_preprocesser(" .. (opts.pre or 'pre.Standard { labels = { "species" } }') .. ")",
    "p:add_trainer(" .. (opts.trainer or "train.Logistic {}") .. ")",
    "p:add_evaluator(eval.Classification {})",
    opts.tail or "p:run()",
    "",
  }, "\n")
end

--- A committed git repository set up with `zenml init`, data/iris.csv and
--- `files` (path -> text, e.g. pipeline.lua); returns its folder.
---@param files? table<string, string>
---@return string
function support.iris_repo(files)
  local dir = support.git_repo()
  local _, err, code = support.init(dir)
  assert(code == 0, err)
  support.sh("mkdir -p data && cp " .. support.q(support.src .. "/tests/data/iris.csv") .. " data/",
    { cwd = dir })
  for path, text in pairs(files or {}) do
    local folder = path:match("^(.*)/[^/]+$")
    if folder then support.sh("mkdir -p " .. support.q(folder), { cwd = dir }) end
    support.write(dir .. "/" .. path, text)
  end
  _, err, code = support.sh("git add -A && git commit -qm init", { cwd = dir })
  assert(code == 0, err)
  return dir
end

function support.cleanup()
  for _, p in ipairs(made) do os.execute("rm -rf " .. support.q(p)) end
  made = {}
  for _, d in ipairs(databases) do support.server_sql("DROP DATABASE IF EXISTS " .. d) end
  databases = {}
end

return support
