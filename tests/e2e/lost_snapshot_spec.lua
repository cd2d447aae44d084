-- A datasource version whose snapshot object was lost from the artifact store:
-- a run pinned to it says which snapshot is missing and how to restore it;
-- `zenml datasource commit` takes it again (the same bytes, the same id).
local t = require "tests.support"

local PIPELINE = t.iris_pipeline { split = "split.Random { split_map = { train = 0.7, eval = 0.3 }, seed = 1 }" }

local function zenml(dir, args) return t.zenml_run(args, { cwd = dir }) end

describe("a lost datasource snapshot", function()
  after_each(t.cleanup)

  it("is named by the run that needs it and taken again by datasource commit", function()
    local dir = t.iris_repo { ["pipeline.lua"] = PIPELINE }
    local _, err, code = zenml(dir, "run pipeline.lua")
    assert.equals(0, code, err)
    local yaml = t.sh("ls pipelines/*.yaml", { cwd = dir }):match("(%S+)")
    local artifact = t.sh("sqlite3 .zenml/metadata.db 'SELECT artifact FROM datasource_versions'",
      { cwd = dir }):match("sha256:(%x+)")
    local version = t.sh("sqlite3 .zenml/metadata.db 'SELECT id FROM datasource_versions'",
      { cwd = dir }):match("%x+")
    os.remove(("%s/.zenml/artifacts/objects/%s/%s"):format(dir, artifact:sub(1, 2), artifact:sub(3)))

    local out
    out, err, code = zenml(dir, "run --no-cache " .. yaml)
    assert.equals(1, code)
    assert.matches(("the snapshot of version %s of datasource 'iris' (sha256:%s) is missing from "
      .. "the artifact store; take it again with 'zenml datasource commit iris'"):format(version,
      artifact), err, 1, true)
    assert.is_nil(err:find("expected an integer", 1, true))

    out, err, code = zenml(dir, "datasource commit iris")
    assert.equals(0, code, err)
    assert.matches("iris: version " .. version .. ", 150 rows x 5 columns, .* %(unchanged; its lost "
      .. "snapshot was taken again", out)
    out, err, code = zenml(dir, "run --no-cache " .. yaml)
    assert.equals(0, code, err)
    assert.matches("completed: 5 steps, 5 ran", out, 1, true)
    _, err, code = zenml(dir, "verify --repair")
    assert.equals(0, code, err)
  end)
end)
