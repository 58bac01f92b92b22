-- wrk script for bench/ingest.py: POST interactions with rotating customer ids.
-- Arguments after `--`: the customer ids. (wrk runs for a duration; thread:stop() does not end it.)
local ids, sent = {}, 0
init = function(args)
  for i = 1, #args do ids[#ids + 1] = args[i] end
end
request = function()
  sent = sent + 1
  local body = '{"channel":"email","customer_id":' .. ids[(sent % #ids) + 1] ..
    ',"subject":"HTTP bench ' .. sent .. '","messages":[{"author_kind":"customer",' ..
    '"body":"Hello, my card did not arrive."}]}'
  return wrk.format("POST", nil, nil, body)
end
done = function(summary)
  io.write(string.format("requests=%d non2xx=%d seconds=%.3f\n", summary.requests,
    summary.errors.status, summary.duration / 1e6))
end
