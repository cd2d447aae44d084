-- zenml.git: a throwaway repository built with the git command, checked
-- against what git itself prints.
local zenml = require "zenml"

local ENV = "GIT_AUTHOR_NAME='zenml test' GIT_AUTHOR_EMAIL=test@zenml.invalid " ..
  "GIT_COMMITTER_NAME='zenml test' GIT_COMMITTER_EMAIL=test@zenml.invalid " ..
  "GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null "

local function tmpdir()
  local path = os.tmpname()
  os.remove(path)
  assert(os.execute("mkdir -p '" .. path .. "'"))
  local p = assert(io.popen("cd '" .. path .. "' && pwd -P"))
  local real = p:read("l")
  p:close()
  return real
end

local dir

local function sh(cmd)
  assert(os.execute("cd '" .. dir .. "' && { " .. ENV .. cmd .. "; } >/dev/null 2>&1"), cmd)
end

local function out(cmd)
  local p = assert(io.popen("cd '" .. dir .. "' && " .. ENV .. cmd))
  local line = p:read("l")
  p:close()
  return line
end

local function write(name, text)
  local f = assert(io.open(dir .. "/" .. name, "wb"))
  f:write(text)
  f:close()
end

describe("zenml.git", function()
  setup(function()
    dir = tmpdir()
    sh("git init -q -b main .")
  end)

  teardown(function()
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("returns nil and a message outside git", function()
    local outside = tmpdir()
    local repo, err = zenml.git.open(outside)
    assert.is_nil(repo)
    assert.equal("not a git repository (or any parent): run 'git init' first", err)
    os.execute("rm -rf '" .. outside .. "'")
  end)

  it("handles a repository with no commits", function()
    local repo = assert(zenml.git.open(dir))
    assert.equal(dir, repo:root())
    assert.is_nil(repo:head())
    assert.equal("main", repo:branch())
    assert.is_false(repo:dirty())
    local sha, err = repo:blob_sha("a.txt")
    assert.is_nil(sha)
    assert.equal("the git repository " .. dir .. " has no commits yet", err)
  end)

  it("reads HEAD, shas, status and old bytes", function()
    write("a.txt", "first\n")
    write(".gitignore", "*.log\n")
    sh("git add -A && git commit -q -m one")
    local first = out("git rev-parse HEAD")
    local repo <close> = assert(zenml.git.open(dir))
    assert.equal(first, repo:head())
    assert.is_false(repo:dirty())
    assert.equal(out("git rev-parse HEAD:a.txt"), repo:blob_sha("a.txt"))
    assert.equal(out("git hash-object a.txt"), repo:workfile_sha("a.txt"))
    assert.equal(out("git hash-object a.txt"), zenml.git.hash_blob("first\n"))
    assert.equal("first\n", repo:read_blob(repo:blob_sha("a.txt")))

    write("x.log", "ignored\n")
    assert.is_false(repo:dirty())
    assert.equal("ignored", repo:status("x.log"))
    write("a.txt", "second\n")
    assert.is_true(repo:dirty())
    assert.equal("modified", repo:status("a.txt"))
    assert.same({ "a.txt" }, repo:dirty_paths())
    sh("git commit -q -am two")
    assert.equal("clean", repo:status("a.txt"))
    assert.equal("first\n", repo:read_at(first, "a.txt"))
    assert.equal("second\n", repo:read_at("HEAD", "a.txt"))
  end)

  it("reports missing objects and paths with exact messages", function()
    local repo = assert(zenml.git.open(dir .. "/"))
    local sha = string.rep("ab", 20)
    local bytes, err = repo:read_blob(sha)
    assert.is_nil(bytes)
    assert.equal("git object " .. sha .. " not found in " .. dir, err)
    assert.same({ nil, "'gone.lua' is not in git commit HEAD", "notfound" },
      { repo:read_at("HEAD", "gone.lua") })
    assert.same({ nil, "'gone.lua' is neither in the work tree nor in the git index", "notfound" },
      { repo:status("gone.lua") })
    assert.has_error(function() repo:status(42 == 42 and {} or nil) end,
      "bad argument #1 to 'status' (string expected, got table)")
    assert.has_error(function() zenml.git.open(7) end,
      "zenml.git.open: argument 1 (folder): expected string, got number")
  end)

  it("finds the repository from a sub-folder and refuses a closed one", function()
    sh("mkdir -p steps/deep")
    local repo = assert(zenml.git.open(dir .. "/steps/deep"))
    assert.equal(dir, repo:root())
    repo:close()
    repo:close()
    assert.has_error(function() repo:head() end, "attempt to use a closed git repository")
    assert.equal("git repository (closed)", tostring(repo))
  end)
end)
