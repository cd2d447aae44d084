-- zenml.hash: digests as sha256sum prints them, and errors that name the file.
local zenml = require "zenml"

local function tmpdir()
  local path = os.tmpname()
  os.remove(path)
  assert(os.execute("mkdir -p '" .. path .. "'"))
  return path
end

local function sha256sum(path)
  local p = assert(io.popen("sha256sum '" .. path .. "'"))
  local out = p:read("l")
  p:close()
  return out:match("^(%x+)")
end

describe("zenml.hash", function()
  it("hashes known vectors", function()
    assert.equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      zenml.hash.string(""))
    assert.equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      zenml.hash.string("abc"))
  end)

  it("hashes a 1 MiB file exactly as sha256sum does", function()
    local dir = tmpdir()
    local path = dir .. "/one-mib.bin"
    local f = assert(io.open(path, "wb"))
    local chunk = {}
    for i = 1, 1024 do chunk[i] = string.char((i * 7) % 256) end
    chunk = table.concat(chunk)
    for i = 1, 1024 do f:write(chunk:sub(i % 1024 + 1) .. chunk:sub(1, i % 1024)) end
    f:close()
    assert.equal(sha256sum(path), zenml.hash.file(path))
    local digests = zenml.hash.files({ path, path }, 2)
    assert.same({ sha256sum(path), sha256sum(path) }, digests)
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("returns nil and a message naming a missing file", function()
    local digest, err = zenml.hash.file("/nonexistent/data.csv")
    assert.is_nil(digest)
    assert.equal("cannot open /nonexistent/data.csv: No such file or directory", err)
    local list, err2 = zenml.hash.files({ "/nonexistent/a" })
    assert.is_nil(list)
    assert.equal("cannot open /nonexistent/a: No such file or directory", err2)
  end)

  it("rejects arguments of the wrong type", function()
    assert.has_error(function() zenml.hash.string(42) end,
      "zenml.hash.string: argument 1 (s): expected string, got number")
    assert.has_error(function() zenml.hash.file(nil) end,
      "zenml.hash.file: argument 1 (path): expected string, got nil")
    assert.has_error(function() zenml.hash.files("x") end,
      "zenml.hash.files: argument 1 (paths): expected table, got string")
    assert.equal(64, #zenml.hash.string("still usable"))
  end)
end)
