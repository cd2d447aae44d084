local cli = require "zenml.cli"
local config = require "zenml.config"
local output = require "zenml.output"
local fsx = require "zenml.repo"

local usage = [[usage: zenml metadata info [--json]
       zenml metadata migrate --to URL

info     the metadata store's driver, URL, schema version, size and the rows
         of each table
migrate  copy every row of the repository's metadata store into the empty
         store at URL (mysql://[USER@]HOST[:PORT]/DATABASE, an empty database
         on a MariaDB/MySQL server; or sqlite:PATH, a new file), compare the
         row counts, then set stores.metadata to URL. The old store is left
         as it was (remove it yourself once the new one serves). Nothing is
         switched when anything fails; a new SQLite file is removed again.
         Other zenml processes wait (or fail) while the copy runs.]]

-- sqlite:PATH relative to the repository, as stores.metadata is read
local function absolute(repo, url)
  local path = url:match("^sqlite:(.+)$")
  if path then return "sqlite:" .. fsx.resolve(repo.root, path) end
  return url
end

local function info(opts, repo)
  local db = repo:meta()
  local i = db:info()
  local rec = { driver = i.driver, url = repo.config.stores.metadata, schema = i.version,
    size = opts.json and i.bytes or output.bytes(i.bytes), tables = i.tables }
  if opts.json then return output.json(rec) end
  output.record(opts, rec, { "driver", "url", "schema", "size" })
  io.stdout:write("\n")
  output.table(i.tables, { "name", "rows" }, { "TABLE", "ROWS" })
end

local function remove_sqlite(url)
  local path = url:match("^sqlite:(.+)$")
  if not path then return end
  for _, suffix in ipairs { "", "-wal", "-shm", "-journal" } do os.remove(path .. suffix) end
end

local function migrate(opts, repo)
  local to = opts.to
  if not to then cli.fail("metadata migrate needs --to URL\n" .. usage, 2) end
  local v, perr = config.parse_value("stores.metadata", to)
  if not v then cli.fail(perr, 2) end
  local src = repo:meta()
  local dst_url, src_url = absolute(repo, v), repo:metadata_url()
  if dst_url == src_url then cli.fail(("metadata migrate: %s is the store in use"):format(v)) end
  local path = dst_url:match("^sqlite:(.+)$")
  local made = path and not fsx.exists(path)
  local dst, err = require("zenml.meta").open(dst_url, "create")
  if not dst then
    if made then remove_sqlite(dst_url) end
    cli.fail(err)
  end
  local ok, cerr = pcall(src.copy_into, src, dst)
  local counts = ok and dst:info().tables
  dst:close()
  if not ok then
    if made then remove_sqlite(dst_url) end
    cli.fail(("metadata migrate: %s"):format(tostring(cerr)))
  end
  config.set(repo.config, "stores.metadata", v)
  local f = assert(io.open(repo.root .. "/.zenml/config.yaml", "wb"))
  f:write(config.format(repo.config))
  f:close()
  local parts = {}
  for _, t in ipairs(counts) do parts[#parts + 1] = ("%s %d"):format(t.name, t.rows) end
  io.stdout:write(("copied the metadata to %s (%s); stores.metadata is now %s\n")
    :format(v, table.concat(parts, ", "), v))
end

local function run(args)
  local opts, pos = cli.parse(args, { flags = { json = true }, options = { to = true } }, usage)
  local action = pos[1]
  local repo = cli.repo()
  if action == "info" then
    info(opts, repo)
  elseif action == "migrate" then
    cli.no_json(opts, "metadata migrate", "a summary line")
    migrate(opts, repo)
  else
    cli.unknown_action(action, { "info", "migrate" }, usage)
  end
  return 0
end

return { usage = usage, run = run }
