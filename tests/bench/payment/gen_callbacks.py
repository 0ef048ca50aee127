"""Pre-signs N provider notifications for the callback benchmark, one per line.

alipay: the form body (RSA2 over the sorted parameters), a distinct trade per line.
wechat: "timestamp<TAB>nonce<TAB>signature<TAB>serial<TAB>body", the resource
        encrypted under the API v3 key. Timestamps are "now": use within 5 minutes.
Usage: gen_callbacks.py alipay|wechat KEY_DIR N OUT [PROCS]
"""
import base64
import hashlib
import json
import multiprocessing
import os
import sys
import time
import urllib.parse
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def load(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def sign(key, msg):
    return base64.b64encode(key.sign(msg, padding.PKCS1v15(), hashes.SHA256())).decode()


def alipay_lines(args):
    keydir, start, n = args
    key = load(os.path.join(keydir, "alipay_private.pem"))
    out = []
    for i in range(start, start + n):
        p = {"notify_time": "2026-11-23 10:00:00", "notify_type": "trade_status_sync",
             "notify_id": uuid.uuid4().hex, "charset": "utf-8", "version": "1.0",
             "app_id": "2021000000000001", "seller_id": "2088000000000001",
             "trade_no": "20261123220014%014d" % i, "out_trade_no": "ZK20261123BENCH%011d" % i,
             "trade_status": "TRADE_SUCCESS", "total_amount": "50.00",
             "buyer_id": "2088000000001234", "gmt_payment": "2026-11-23 10:00:00"}
        content = "&".join(f"{k}={v}" for k, v in sorted(p.items()) if v)
        p["sign_type"] = "RSA2"
        p["sign"] = sign(key, content.encode())
        out.append(urllib.parse.urlencode(p))
    return out


def wechat_lines(args):
    keydir, start, n = args
    key = load(os.path.join(keydir, "wechat_platform_private.pem"))
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    serial = hashlib.sha256(der).hexdigest()[:40].upper()
    with open(os.path.join(keydir, "wechat_apiv3.key")) as f:
        aes = AESGCM(f.read().strip().encode())
    out = []
    for i in range(start, start + n):
        tx = {"appid": "wx0000000000000001", "mchid": "1900000001",
              "out_trade_no": "ZK20261123BENCH%011d" % i,
              "transaction_id": "42000020261123%014d" % i, "trade_type": "NATIVE",
              "trade_state": "SUCCESS", "success_time": "2026-11-23T10:00:00+08:00",
              "amount": {"total": 5000, "payer_total": 5000, "currency": "CNY"}}
        nonce = uuid.uuid4().hex[:12]
        ct = aes.encrypt(nonce.encode(), json.dumps(tx).encode(), b"transaction")
        body = json.dumps({"id": str(uuid.uuid4()), "create_time": "2026-11-23T10:00:00+08:00",
                           "resource_type": "encrypt-resource",
                           "event_type": "TRANSACTION.SUCCESS", "summary": "ok",
                           "resource": {"original_type": "transaction",
                                        "algorithm": "AEAD_AES_256_GCM",
                                        "ciphertext": base64.b64encode(ct).decode(),
                                        "associated_data": "transaction", "nonce": nonce}},
                          separators=(",", ":"))
        ts = str(int(time.time()))
        hn = uuid.uuid4().hex
        sig = sign(key, f"{ts}\n{hn}\n{body}\n".encode())
        out.append("\t".join([ts, hn, sig, serial, body]))
    return out


def main():
    provider, keydir, n, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    procs = int(sys.argv[5]) if len(sys.argv) > 5 else os.cpu_count()
    fn = alipay_lines if provider == "alipay" else wechat_lines
    chunk = (n + procs - 1) // procs
    with multiprocessing.Pool(procs) as pool:
        parts = pool.map(fn, [(keydir, i * chunk, min(chunk, n - i * chunk))
                              for i in range(procs) if i * chunk < n])
    with open(path, "w") as f:
        for part in parts:
            for line in part:
                f.write(line + "\n")


if __name__ == "__main__":
    main()
