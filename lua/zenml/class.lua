--- A small class helper: `Base:extend("Name")`, construction by calling the
--- class, `is_a`, and the parent through `Class.super`.
local class = {}

local Object = { __name = "Object", __module = "zenml.class" }
Object.__index = Object

--- The module that called `extend`, found from the caller's source file.
local function caller_module(level)
  local info = debug.getinfo(level + 1, "S")
  if not info then return nil end
  local src = info.source or ""
  if src:sub(1, 1) == "@" then return src:sub(2) end
  return nil
end

--- Make a subclass.
---@param name string the class name, used in messages and pins
---@return table the new class
function Object:extend(name)
  if type(name) ~= "string" or name == "" then
    error(("extend: expected a class name (string), got %s"):format(type(name)), 2)
  end
  local cls = {}
  for k, v in pairs(self) do
    if k:sub(1, 2) == "__" and k ~= "__index" and k ~= "__name" and k ~= "__file" then
      cls[k] = v
    end
  end
  cls.__name = name
  cls.__index = cls
  cls.__file = caller_module(2)
  cls.__module = require("zenml.modules").current() or false
  cls.super = self
  return setmetatable(cls, { __index = self, __call = function(c, ...) return c:new(...) end,
    __tostring = function(c) return "class " .. c.__name end })
end

--- Construct an instance; subclasses override `init`.
function Object:new(...)
  local obj = setmetatable({}, self)
  obj:init(...)
  return obj
end

function Object:init() end

--- True when this object (or class) is `cls` or derives from it.
---@param cls table
---@return boolean
function Object:is_a(cls)
  local c = getmetatable(self) == nil and self or (rawget(self, "__index") == self and self or getmetatable(self))
  while c do
    if c == cls then return true end
    c = rawget(c, "super")
  end
  return false
end

function Object:class_name()
  return self.__name
end

class.Object = setmetatable(Object, { __call = function(c, ...) return c:new(...) end,
  __tostring = function() return "class Object" end })

return class
