"""More formats seen in agent tool output, with the type (and language) detection should give them."""

from __future__ import annotations

import textwrap


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


MORE = {
    "tsc": d("""
    src/api/client.ts(12,5): error TS2322: Type 'string' is not assignable to type 'number'.
    src/api/client.ts(40,18): error TS2345: Argument of type 'Order | undefined' is not assignable to 'Order'.
    src/components/Cart.tsx(88,3): error TS2741: Property 'total' is missing in type '{}' but required.
    src/components/Cart.tsx(91,11): warning TS6133: 'unused' is declared but its value is never read.

    Found 3 errors in 2 files.

    Errors  Files
         2  src/api/client.ts:12
         1  src/components/Cart.tsx:88
"""),
    "eslint": d("""
    /home/dev/shop/src/api/client.js
       12:5   error    'fetch' is not defined                no-undef
       40:18  warning  Unexpected console statement          no-console
       77:1   error    Expected indentation of 2 spaces      indent

    /home/dev/shop/src/components/Cart.jsx
       88:3  error  'React' must be in scope when using JSX  react/react-in-jsx-scope

    ✖ 4 problems (3 errors, 1 warning)
      1 error and 0 warnings potentially fixable with the `--fix` option.
"""),
    "yaml": d("""
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: orders
      labels:
        app: orders
    spec:
      replicas: 3
      selector:
        matchLabels:
          app: orders
      template:
        metadata:
          labels:
            app: orders
        spec:
          containers:
            - name: orders
              image: registry.example.com/orders:1.8.2
              ports:
                - containerPort: 8080
              env:
                - name: DATABASE_URL
                  valueFrom:
                    secretKeyRef:
                      name: orders-db
                      key: url
"""),
    "kotlin": d("""
    package com.example.orders

    import kotlinx.coroutines.flow.Flow
    import kotlinx.coroutines.flow.map

    data class Order(val id: String, val total: Long, val customer: String?)

    class OrderRepository(private val api: OrderApi) {
        private val cache = mutableMapOf<String, Order>()

        suspend fun load(id: String): Order? {
            cache[id]?.let { return it }
            val order = api.fetch(id) ?: return null
            cache[id] = order
            return order
        }

        fun totals(orders: Flow<Order>): Flow<Long> = orders.map { it.total }

        fun label(order: Order): String = when {
            order.total > 10_000 -> "large"
            order.customer?.isBlank() != false -> "anonymous"
            else -> "regular"
        }
    }
"""),
    "swift": d("""
    import Foundation

    struct Order: Codable {
        let id: String
        let total: Int
        var customer: String?
    }

    final class OrderStore {
        private var cache: [String: Order] = [:]

        func load(id: String) async throws -> Order {
            if let cached = cache[id] {
                return cached
            }
            guard let url = URL(string: "https://api.example.com/orders/\\(id)") else {
                throw URLError(.badURL)
            }
            let (data, _) = try await URLSession.shared.data(from: url)
            let order = try JSONDecoder().decode(Order.self, from: data)
            cache[id] = order
            return order
        }
    }
"""),
    "docker": d("""
    #0 building with "default" instance using docker driver

    #1 [internal] load build definition from Dockerfile
    #1 transferring dockerfile: 412B done
    #1 DONE 0.0s

    #2 [internal] load metadata for docker.io/library/python:3.12-slim
    #2 DONE 1.2s

    #3 [1/5] FROM docker.io/library/python:3.12-slim@sha256:4f1a
    #3 CACHED

    #4 [2/5] COPY requirements.txt /app/
    #4 DONE 0.1s

    #5 [3/5] RUN pip install -r /app/requirements.txt
    #5 2.311 Collecting fastapi==0.115.0
    #5 4.020 ERROR: Could not find a version that satisfies the requirement orders-sdk==9.9.9
    #5 ERROR: process "/bin/sh -c pip install -r /app/requirements.txt" did not complete successfully: exit code: 1
"""),
    "java-trace": d("""
    Exception in thread "main" java.lang.IllegalStateException: order 8812 already settled
    \tat com.example.orders.OrderBook.settle(OrderBook.java:88)
    \tat com.example.orders.SettlementJob.run(SettlementJob.java:41)
    \tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1144)
    \tat java.base/java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:642)
    \tat java.base/java.lang.Thread.run(Thread.java:1583)
    Caused by: java.sql.SQLException: duplicate key value violates unique constraint "settlements_pkey"
    \tat org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse(QueryExecutorImpl.java:2725)
    \tat org.postgresql.jdbc.PgStatement.executeUpdate(PgStatement.java:405)
    \t... 3 more
"""),
    "maven": d("""
    [INFO] Scanning for projects...
    [INFO]
    [INFO] ----------------------< com.example:orders >-----------------------
    [INFO] Building orders 2.4.0
    [INFO] --------------------------------[ jar ]---------------------------------
    [INFO] --- maven-compiler-plugin:3.11.0:compile (default-compile) @ orders ---
    [ERROR] COMPILATION ERROR :
    [ERROR] /src/main/java/com/example/orders/OrderBook.java:[88,12] cannot find symbol
      symbol:   method settleAll()
      location: class com.example.orders.OrderBook
    [INFO] 1 error
    [INFO] BUILD FAILURE
"""),
    "nginx": "\n".join(
        f'10.0.0.{i % 250} - - [23/Nov/2026:10:{i % 60:02d}:0{i % 10} +0000] "GET /api/orders?page={i} HTTP/1.1" '
        f'{200 if i % 9 else 502} {1000 + i} "-" "curl/8.5.0"'
        for i in range(60)
    ),
    "csv": "id,customer,total,status\n"
    + "\n".join(f"{i},customer-{i},{i * 7 % 500}.99,{'failed' if i % 13 == 0 else 'ok'}" for i in range(80)),
    "kubectl": d("""
    NAME                      READY   STATUS             RESTARTS      AGE
    orders-7d9f8b6c5-2xk4p    1/1     Running            0             3d
    orders-7d9f8b6c5-9qwz7    0/1     CrashLoopBackOff   14 (2m ago)   3d
    payments-5c8d7f9b-h2j6k   1/1     Running            1 (5h ago)    6d
    redis-0                   1/1     Running            0             12d
"""),
    "sql": d("""
    CREATE TABLE orders (
        id BIGSERIAL PRIMARY KEY,
        customer_id BIGINT NOT NULL REFERENCES customers(id),
        total_cents INTEGER NOT NULL CHECK (total_cents >= 0),
        status TEXT NOT NULL DEFAULT 'open',
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );

    CREATE INDEX orders_customer_idx ON orders (customer_id);

    SELECT o.id, c.name, o.total_cents
    FROM orders o
    JOIN customers c ON c.id = o.customer_id
    WHERE o.status = 'failed'
    ORDER BY o.created_at DESC
    LIMIT 50;
"""),
    "dockerfile": d("""
    FROM python:3.12-slim AS base
    WORKDIR /app
    ENV PYTHONDONTWRITEBYTECODE=1 \\
        PYTHONUNBUFFERED=1
    COPY requirements.txt .
    RUN pip install --no-cache-dir -r requirements.txt
    COPY . .
    EXPOSE 8080
    USER nobody
    CMD ["uvicorn", "orders.app:app", "--host", "0.0.0.0", "--port", "8080"]
"""),
    "git-status": d("""
    On branch feature/retry
    Your branch is ahead of 'origin/feature/retry' by 2 commits.
      (use "git push" to publish your local commits)

    Changes not staged for commit:
      (use "git add <file>..." to update what will be committed)
      (use "git restore <file>..." to discard changes in working directory)
    \tmodified:   src/shop/payments.py
    \tmodified:   tests/test_payments.py

    Untracked files:
      (use "git add <file>..." to include in what will be committed)
    \tnotes.txt
"""),
}


EXPECTED = {
    "tsc": ("log", None),
    "eslint": ("log", None),
    "yaml": ("code", "yaml"),
    "kotlin": ("code", "kotlin"),
    "swift": ("code", "swift"),
    "docker": ("log", None),
    "java-trace": ("log", None),
    "maven": ("log", None),
    "nginx": ("log", None),
    "csv": ("text", None),
    "kubectl": ("text", None),
    "sql": ("code", "sql"),
    "dockerfile": ("code", "dockerfile"),
    "git-status": ("text", None),
}
