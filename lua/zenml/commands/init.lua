local cli = require "zenml.cli"
local git = require "zenml.git"
local config = require "zenml.config"
local fsx = require "zenml.repo"

local usage = [[usage: zenml init [--artifact-store PATH] [--metadata URL]

Sets up zenml in the current git repository (at its work-tree root):
  .zenml/config.yaml   store settings and defaults (tracked by git)
  .zenml/.gitignore    keeps the database and the artifacts out of git
  pipelines/           the immutable YAML of every run
  steps/               your custom steps (on the module path)
Running it again changes nothing.

Options:
  --artifact-store PATH   artifact store folder (default .zenml/artifacts; may be
                          outside the repository, e.g. on a shared file system)
  --metadata URL          metadata store: sqlite:PATH (default
                          sqlite:.zenml/metadata.db), or a MariaDB/MySQL database,
                          mysql://[USER@]HOST[:PORT]/DATABASE (the password from
                          ZENML_MYSQL_PASSWORD or ~/.my.cnf; docs/metadata.md)]]

local function mkdir(path)
  local ok = os.execute("mkdir -p '" .. path:gsub("'", "'\\''") .. "'")
  if not ok then cli.fail("cannot create folder " .. path) end
end

local function write(path, text)
  local f, err = io.open(path, "wb")
  if not f then cli.fail(err) end
  f:write(text)
  f:close()
end

local function run(args)
  local opts, pos = cli.parse(args, { options = { ["artifact-store"] = true, metadata = true } }, usage)
  if #pos > 0 then cli.fail(("unexpected argument '%s'\n%s"):format(pos[1], usage), 2) end
  local g, err = git.open()
  if not g then cli.fail(err) end
  local root = g:root()
  g:close()
  if fsx.exists(root .. "/.zenml/config.yaml") then
    io.stdout:write(("zenml repository already initialised in %s\n"):format(root))
    return 0
  end
  local c = config.defaults()
  if opts["artifact-store"] then c.stores.artifact = opts["artifact-store"] end
  if opts.metadata then
    local v, perr = config.parse_value("stores.metadata", opts.metadata)
    if not v then cli.fail(perr, 2) end
    c.stores.metadata = v
    if config.is_server(v) then
      -- reach the server and make the schema before writing anything: a
      -- wrong password or a missing database leaves no half-made repository
      local db, oerr = require("zenml.meta").open(v, "create")
      if not db then cli.fail(oerr) end
      db:close()
    end
  end
  mkdir(root .. "/.zenml")
  write(root .. "/.zenml/.gitignore", "# the stores are not source: keep them out of git\n"
    .. "metadata.db\nmetadata.db-*\nartifacts/\n")
  write(root .. "/.zenml/config.yaml", config.format(c))
  mkdir(root .. "/pipelines")
  mkdir(root .. "/steps")
  local repo = assert(fsx.open(root))
  repo:store()
  repo:meta(true)
  repo:close()
  io.stdout:write(("initialised zenml repository in %s\n"):format(root))
  return 0
end

return { usage = usage, run = run }
