-- Generates data/houses.csv: 2,000 synthetic house sales. Every value comes
-- from a fixed-seed generator, so running this again gives the same bytes.
-- The data is made up (no real houses); it is dedicated to the public
-- domain (CC0 1.0). Run with: zenml gen.lua
local state = 20240601
local function uniform()
  state = (state * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff
  return (state >> 11) / (1 << 52)
end
local function normal() -- Box-Muller
  local u, v = uniform(), uniform()
  return math.sqrt(-2 * math.log(1 - u)) * math.cos(2 * math.pi * v)
end

local regions = { "north", "south", "east", "west" }
local premium = { north = 20000, south = -5000, east = 0, west = 35000 }
local out = assert(io.open("data/houses.csv", "w"))
out:write("area_m2,rooms,age_years,distance_km,region,price\n")
for _ = 1, 2000 do
  local area = 40 + uniform() * 160
  local rooms = math.max(1, math.floor(area / 30 + normal() * 0.7 + 0.5))
  local age = math.floor(uniform() * 80)
  local distance = 0.5 + uniform() * 29.5
  local region = regions[math.floor(uniform() * 4) + 1]
  local price = 50000 + 2100 * area + 6000 * rooms - 700 * age - 3500 * distance
    + premium[region] + normal() * 25000
  out:write(("%.1f,%d,%d,%.2f,%s,%.0f\n"):format(area, rooms, age, distance, region, price))
end
out:close()
