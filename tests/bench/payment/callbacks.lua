-- wrk script: POSTs pre-signed provider notifications, each once, spread
-- over wrk's threads. Args: PROVIDER FILE THREADS (lines from gen_callbacks.py).
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  provider = args[1]
  lines = {}
  for line in io.lines(args[2]) do
    lines[#lines + 1] = line
  end
  nthreads = tonumber(args[3]) or 1
  i = tid + 1
end

function request()
  local line = lines[i]
  i = i + nthreads
  if i > #lines then i = tid + 1 end
  if provider == "alipay" then
    return wrk.format("POST", "/api/v1/payments/alipay/notify",
                      {["Content-Type"] = "application/x-www-form-urlencoded"}, line)
  end
  local ts, nonce, sig, serial, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
  return wrk.format("POST", "/api/v1/payments/wechat/notify",
                    {["Content-Type"] = "application/json", ["Wechatpay-Timestamp"] = ts,
                     ["Wechatpay-Nonce"] = nonce, ["Wechatpay-Signature"] = sig,
                     ["Wechatpay-Serial"] = serial}, body)
end

function done(summary, latency, requests)
  io.write(string.format("non2xx=%d errors(connect,read,write,timeout)=%d,%d,%d,%d\n",
                         summary.errors.status, summary.errors.connect, summary.errors.read,
                         summary.errors.write, summary.errors.timeout))
end
