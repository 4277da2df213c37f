"""Realistic tool outputs of every content type, for the detection tests."""

from __future__ import annotations

import re
import textwrap


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def tabs(text: str) -> str:
    """Dedent, then indent with tabs as Go and this TypeScript code base do."""
    return re.sub(r"(?m)^(?:    )+", lambda m: "\t" * (len(m[0]) // 4), d(text))


CODE = {
    "python": d('''
        """Retry helpers for the payments client."""

        from __future__ import annotations

        import time
        from dataclasses import dataclass


        @dataclass(frozen=True)
        class Backoff:
            """Exponential backoff with a ceiling.

            The delay doubles after every failed attempt until it reaches ``ceiling``
            seconds; after that every retry waits the ceiling.
            """

            base: float = 0.5
            ceiling: float = 30.0

            def delay(self, attempt: int) -> float:
                return min(self.base * 2**attempt, self.ceiling)


        def retry(fn, attempts=5, backoff=Backoff()):
            for attempt in range(attempts):
                try:
                    return fn()
                except TimeoutError:
                    time.sleep(backoff.delay(attempt))
            raise RuntimeError(f"gave up after {attempts} attempts")
    '''),
    "javascript": d("""
        'use strict';

        const express = require('express');
        const {promisify} = require('util');

        const app = express();
        const sleep = promisify(setTimeout);

        function parseLimit(value, fallback) {
          const n = Number.parseInt(value, 10);
          return Number.isNaN(n) ? fallback : Math.min(n, 100);
        }

        app.get('/api/orders', async (req, res) => {
          const limit = parseLimit(req.query.limit, 20);
          if (req.query.slow === '1') {
            await sleep(250);
          }
          const rows = await db.orders.find({}).limit(limit);
          res.json({count: rows.length, rows});
        });

        module.exports = {app, parseLimit};
    """),
    "typescript": tabs("""
        import type {Agent} from 'node:http';
        import {EventEmitter} from 'node:events';

        export interface RetryOptions {
            limit: number;
            methods: string[];
            statusCodes: number[];
            backoffLimit?: number;
        }

        export type Hook = (options: RetryOptions) => Promise<void> | void;

        export class Client extends EventEmitter {
            private readonly agent?: Agent;
            private hooks: Hook[] = [];

            constructor(agent?: Agent) {
                super();
                this.agent = agent;
            }

            async retry(options: RetryOptions): Promise<number> {
                for (const hook of this.hooks) {
                    await hook(options);
                }
                return options.limit as number;
            }
        }
    """),
    "tsx": d("""
        import {useState} from 'react';
        import type {Order} from './types';

        interface Props {
          orders: Order[];
          onSelect: (id: string) => void;
        }

        export function OrderList({orders, onSelect}: Props) {
          const [filter, setFilter] = useState<string>('');
          const shown = orders.filter((o) => o.customer.includes(filter));
          return (
            <div className="orders">
              <input value={filter} onChange={(e) => setFilter(e.target.value)} />
              <ul>
                {shown.map((o) => (
                  <li key={o.id} onClick={() => onSelect(o.id)}>
                    {o.customer}: {o.total}
                  </li>
                ))}
              </ul>
            </div>
          );
        }
    """),
    "go": tabs("""
        // Package retry wraps flaky calls.
        package retry

        import (
            "context"
            "errors"
            "time"
        )

        // ErrGaveUp is returned when every attempt failed.
        var ErrGaveUp = errors.New("retry: gave up")

        type Policy struct {
            Attempts int
            Base     time.Duration
        }

        func (p *Policy) Do(ctx context.Context, fn func() error) error {
            delay := p.Base
            for i := 0; i < p.Attempts; i++ {
                if err := fn(); err == nil {
                    return nil
                }
                select {
                case <-ctx.Done():
                    return ctx.Err()
                case <-time.After(delay):
                }
                delay *= 2
            }
            return ErrGaveUp
        }
    """),
    "rust": d("""
        use std::collections::HashMap;
        use std::fmt;

        #[derive(Debug, Clone, PartialEq)]
        pub struct Matcher {
            patterns: Vec<String>,
            cache: HashMap<String, bool>,
        }

        impl Matcher {
            pub fn new(patterns: &[&str]) -> Self {
                let patterns = patterns.iter().map(|p| p.to_string()).collect();
                Matcher { patterns, cache: HashMap::new() }
            }

            pub fn is_match(&mut self, haystack: &str) -> bool {
                if let Some(&hit) = self.cache.get(haystack) {
                    return hit;
                }
                let hit = self.patterns.iter().any(|p| haystack.contains(p.as_str()));
                self.cache.insert(haystack.to_string(), hit);
                hit
            }
        }

        impl fmt::Display for Matcher {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "Matcher({} patterns)", self.patterns.len())
            }
        }
    """),
    "java": d("""
        package com.example.orders;

        import java.util.ArrayList;
        import java.util.List;
        import java.util.Objects;

        /**
         * Keeps the open orders of one customer.
         */
        public final class OrderBook {
          private final String customerId;
          private final List<Order> orders = new ArrayList<>();

          public OrderBook(String customerId) {
            this.customerId = Objects.requireNonNull(customerId);
          }

          public void add(Order order) {
            if (!order.customerId().equals(customerId)) {
              throw new IllegalArgumentException("order belongs to " + order.customerId());
            }
            orders.add(order);
          }

          @Override
          public String toString() {
            return "OrderBook{" + customerId + ", " + orders.size() + " orders}";
          }
        }
    """),
    "c": d("""
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>

        #define MAX_LINE 4096

        struct counter {
            char *word;
            size_t count;
        };

        static int compare(const void *a, const void *b)
        {
            const struct counter *x = a, *y = b;
            return (int)(y->count - x->count);
        }

        int main(int argc, char **argv)
        {
            char line[MAX_LINE];
            struct counter *table = calloc(1024, sizeof(*table));
            if (table == NULL) {
                fprintf(stderr, "out of memory\\n");
                return 1;
            }
            while (fgets(line, sizeof(line), stdin) != NULL) {
                line[strcspn(line, "\\n")] = '\\0';
            }
            qsort(table, 1024, sizeof(*table), compare);
            free(table);
            return 0;
        }
    """),
    "cpp": d("""
        #include <iostream>
        #include <memory>
        #include <string>
        #include <vector>

        namespace shapes {

        class Shape {
        public:
            virtual ~Shape() = default;
            virtual double area() const = 0;
        };

        class Circle final : public Shape {
        public:
            explicit Circle(double r) : radius_(r) {}
            double area() const override { return 3.14159 * radius_ * radius_; }

        private:
            double radius_;
        };

        }  // namespace shapes

        int main() {
            std::vector<std::unique_ptr<shapes::Shape>> all;
            all.push_back(std::make_unique<shapes::Circle>(2.0));
            for (const auto& s : all) {
                std::cout << s->area() << std::endl;
            }
            return 0;
        }
    """),
    "csharp": d("""
        using System;
        using System.Collections.Generic;
        using System.Linq;

        namespace Shop.Orders
        {
            public class Order
            {
                public Guid Id { get; set; }
                public string Customer { get; set; }
                public decimal Total { get; private set; }

                public void AddLine(decimal price, int quantity)
                {
                    if (quantity <= 0)
                    {
                        throw new ArgumentOutOfRangeException(nameof(quantity));
                    }
                    Total += price * quantity;
                }
            }

            public static class OrderStats
            {
                public static decimal Average(IEnumerable<Order> orders) =>
                    orders.Any() ? orders.Average(o => o.Total) : 0m;
            }
        }
    """),
    "ruby": d("""
        require 'json'
        require_relative 'client'

        module Shop
          class OrderImporter
            attr_reader :errors

            def initialize(client)
              @client = client
              @errors = []
            end

            def import(path)
              File.readlines(path).each do |line|
                order = JSON.parse(line)
                next if order['total'].nil?

                @client.create(order)
              rescue JSON::ParserError => e
                @errors << e.message
              end
              errors.empty?
            end
          end
        end
    """),
    "php": d("""
        <?php

        namespace App\\Http\\Controllers;

        use App\\Models\\Order;
        use Illuminate\\Http\\Request;

        class OrderController extends Controller
        {
            public function index(Request $request)
            {
                $limit = min((int) $request->query('limit', 20), 100);
                $orders = Order::query()->latest()->limit($limit)->get();
                return response()->json(['count' => $orders->count(), 'rows' => $orders]);
            }

            public function show(string $id)
            {
                $order = Order::findOrFail($id);
                $this->authorize('view', $order);
                return $order;
            }
        }
    """),
    "bash": d("""
        #!/usr/bin/env bash
        set -euo pipefail

        BACKUP_DIR="${BACKUP_DIR:-/var/backups/db}"
        KEEP_DAYS=14

        log() {
          echo "[$(date +%H:%M:%S)] $*" >&2
        }

        mkdir -p "$BACKUP_DIR"
        stamp=$(date +%Y%m%d-%H%M%S)
        if ! pg_dump --format=custom "$DATABASE_URL" > "$BACKUP_DIR/db-$stamp.dump"; then
          log "backup failed"
          exit 1
        fi

        for f in "$BACKUP_DIR"/db-*.dump; do
          if [[ $(find "$f" -mtime +"$KEEP_DAYS") ]]; then
            rm -f "$f" && log "removed $f"
          fi
        done
        log "backup done: db-$stamp.dump"
    """),
}

APP_LOG = "\n".join(
    f"2026-11-23T10:{i // 60:02d}:{i % 60:02d}.{i * 37 % 1000:03d}Z "
    + ("ERROR" if i % 50 == 7 else "INFO")
    + f" [worker-{i % 4}] order-service: processed batch {i} in {(i * 13) % 90} ms"
    for i in range(200)
)

PYTEST_LOG = d("""
    ============================= test session starts ==============================
    platform linux -- Python 3.12.3, pytest-8.3.4, pluggy-1.5.0
    rootdir: /home/dev/shop
    configfile: pyproject.toml
    collected 214 items

    tests/test_orders.py ........................................            [ 18%]
    tests/test_payments.py .....F..........................                  [ 33%]
    tests/test_refunds.py ..........................s......................   [ 57%]
    tests/test_users.py .............................................................. [100%]

    =================================== FAILURES ===================================
    ____________________________ test_charge_timeout ______________________________

        def test_charge_timeout():
            client = PaymentClient(timeout=0.01)
    >       assert client.charge("order-8812", 1999) == "ok"
    E       AssertionError: assert 'timeout' == 'ok'
    E         - ok
    E         + timeout

    tests/test_payments.py:88: AssertionError
    =========================== short test summary info ============================
    FAILED tests/test_payments.py::test_charge_timeout - AssertionError: assert 'timeout' == 'ok'
    ================== 1 failed, 212 passed, 1 skipped in 4.12s ===================
""")

CARGO_LOG = d("""
       Compiling libc v0.2.155
       Compiling memchr v2.7.4
       Compiling regex-syntax v0.8.4
       Compiling aho-corasick v1.1.3
       Compiling regex-automata v0.4.7
       Compiling grep-matcher v0.1.7 (/src/crates/matcher)
       Compiling grep-searcher v0.1.13 (/src/crates/searcher)
    error[E0308]: mismatched types
      --> crates/searcher/src/sink.rs:142:24
       |
    142 |         let n: usize = self.count;
       |                -----   ^^^^^^^^^^ expected `usize`, found `u64`
       |                |
       |                expected due to this
       |
    help: you can convert a `u64` to a `usize` and panic if the converted value doesn't fit
       |
    142 |         let n: usize = self.count.try_into().unwrap();
       |                                  ++++++++++++++++++++

    error: could not compile `grep-searcher` (lib) due to 1 previous error
    warning: build failed, waiting for other jobs to finish...
""")

NPM_LOG = d("""
    npm WARN deprecated inflight@1.0.6: This module is not supported, and leaks memory.
    npm WARN deprecated glob@7.2.3: Glob versions prior to v9 are no longer supported
    npm WARN deprecated rimraf@3.0.2: Rimraf versions prior to v4 are no longer supported
    npm ERR! code ERESOLVE
    npm ERR! ERESOLVE unable to resolve dependency tree
    npm ERR!
    npm ERR! While resolving: shop-web@2.4.0
    npm ERR! Found: react@18.3.1
    npm ERR! node_modules/react
    npm ERR!   react@"^18.2.0" from the root project
    npm ERR!
    npm ERR! Could not resolve dependency:
    npm ERR! peer react@"^17.0.0" from react-datepicker@4.8.0
    npm ERR! node_modules/react-datepicker
    npm ERR!   react-datepicker@"^4.8.0" from the root project
    npm ERR!
    npm ERR! A complete log of this run can be found in: /root/.npm/_logs/2026-11-23T10_02_11_804Z-debug-0.log
""")

GO_TEST_LOG = d("""
    === RUN   TestPolicyDo
    === RUN   TestPolicyDo/succeeds_first_time
    === RUN   TestPolicyDo/retries_then_succeeds
    === RUN   TestPolicyDo/gives_up
        retry_test.go:48: got <nil>, want ErrGaveUp
    --- FAIL: TestPolicyDo (0.31s)
        --- PASS: TestPolicyDo/succeeds_first_time (0.00s)
        --- PASS: TestPolicyDo/retries_then_succeeds (0.10s)
        --- FAIL: TestPolicyDo/gives_up (0.21s)
    === RUN   TestPolicyContext
    --- PASS: TestPolicyContext (0.05s)
    FAIL
    FAIL	example.com/retry	0.412s
    FAIL
""")

SYSLOG = "\n".join(
    f"Nov 23 10:{i // 60:02d}:{i % 60:02d} web-{i % 3} sshd[{2000 + i}]: "
    + ("Failed password for root from 10.0.0." + str(i % 255) + " port 22 ssh2" if i % 5 == 0 else "Connection closed")
    for i in range(120)
)

GC_LOG_NO_LEVELS = "\n".join(
    f"{1732350000 + i * 7} node-{i % 12} gige temperature {40 + i % 9} normal" for i in range(150)
)

GREP_RN = "\n".join(
    f"./src/shop/{mod}.py:{line}:    {code}"
    for mod, line, code in [
        ("orders", 12, "from shop.payments import charge"),
        ("orders", 88, "        result = charge(order.id, order.total)"),
        ("payments", 40, "def charge(order_id: str, amount: int) -> str:"),
        ("payments", 61, '    """Charge an order; raises ChargeError on decline."""'),
        ("refunds", 17, "    charge(order_id, -amount)"),
        ("tests/test_payments", 9, "from shop.payments import charge"),
        ("tests/test_payments", 88, '    assert client.charge("order-8812", 1999) == "ok"'),
    ]
)

RG_HEADING = d("""
    src/shop/orders.py
    12:from shop.payments import charge
    88:        result = charge(order.id, order.total)

    src/shop/payments.py
    40:def charge(order_id: str, amount: int) -> str:
    61:    \"\"\"Charge an order; raises ChargeError on decline.\"\"\"

    tests/test_payments.py
    9:from shop.payments import charge
    88:    assert client.charge("order-8812", 1999) == "ok"
""")

GREP_R_NO_NUMBERS = "\n".join(
    f"src/components/{name}.tsx:  const total = useTotal(items);  // {name}"
    for name in ["Cart", "Checkout", "OrderSummary", "MiniCart", "Invoice", "Receipt"]
)

RG_CONTEXT = d("""
    crates/searcher/src/sink.rs-140-    fn matched(&mut self, mat: &SinkMatch<'_>) -> Result<bool, io::Error> {
    crates/searcher/src/sink.rs-141-        let n = self.count;
    crates/searcher/src/sink.rs:142:        self.count += mat.lines().count() as u64;
    crates/searcher/src/sink.rs-143-        Ok(true)
    --
    crates/printer/src/standard.rs-610-    ) -> Result<bool, io::Error> {
    crates/printer/src/standard.rs:611:        self.match_count += 1;
    crates/printer/src/standard.rs-612-        if let Some(ref mut stats) = self.stats {
""")

GREP_ONE_FILE = "\n".join(
    f"{n}:{text}"
    for n, text in [
        (87, "        self._unscaled_dash_pattern = (0, None)  # offset, dash"),
        (88, "        self._dash_pattern = (0, None)  # offset, dash (scaled by linewidth)"),
        (248, "        self._unscaled_dash_pattern = mlines._get_dash_pattern(ls)"),
        (412, "        offset, ls = self._dash_pattern"),
        (590, "        gc.set_dashes(*self._dash_pattern)"),
    ]
)

GIT_SHOW = d("""
    commit 8e392f32c5a1b2c3d4e5f60718293a4b5c6d7e8f
    Author: Dev One <dev@example.com>
    Date:   Tue Nov 17 09:12:44 2026 +0100

        Make piped header copying opt-in

    ---
     source/core/options.ts | 12 ++++++++----
     1 file changed, 8 insertions(+), 4 deletions(-)

    diff --git a/source/core/options.ts b/source/core/options.ts
    index 1b2c3d4..5e6f7a8 100644
    --- a/source/core/options.ts
    +++ b/source/core/options.ts
    @@ -120,7 +120,9 @@ export default class Options {
         private _merging = false;
    -	copyPipedHeaders: true,
    +	copyPipedHeaders: false,
    +	#explicitHeaders = new Set<string>();
         constructor() {
""")

DIFF_U = d("""
    --- config/old.yaml	2026-11-20 10:00:00.000000000 +0000
    +++ config/new.yaml	2026-11-23 10:00:00.000000000 +0000
    @@ -1,6 +1,6 @@
     service: orders
    -replicas: 2
    +replicas: 3
     image: registry.example.com/orders:1.8.2
     resources:
    -  memory: 512Mi
    +  memory: 1Gi
""")

GIT_LOG_P = d("""
    commit 1111111111111111111111111111111111111111
    Author: A <a@example.com>
    Date:   Mon Nov 16 10:00:00 2026 +0000

        Fix typo

    diff --git a/README.md b/README.md
    index 1111111..2222222 100644
    --- a/README.md
    +++ b/README.md
    @@ -1,3 +1,3 @@
     # Shop
    -A smal shop.
    +A small shop.

    commit 2222222222222222222222222222222222222222
    Author: B <b@example.com>
    Date:   Sun Nov 15 10:00:00 2026 +0000

        Bump version

    diff --git a/VERSION b/VERSION
    index 3333333..4444444 100644
    --- a/VERSION
    +++ b/VERSION
    @@ -1 +1 @@
    -2.4.0
    +2.4.1
""")

HTML_PAGE = d("""
    <!DOCTYPE html>
    <html lang="en">
    <head>
      <meta charset="utf-8">
      <title>Release notes 2.4 | Shop</title>
      <link rel="stylesheet" href="/static/site.css">
    </head>
    <body>
      <nav class="top"><a href="/">Home</a> <a href="/docs">Docs</a></nav>
      <main>
        <article>
          <h1>Release notes 2.4</h1>
          <p>Orders can now be split across <strong>several warehouses</strong>.</p>
          <p>Refunds are processed within one business day.</p>
        </article>
      </main>
      <footer><p>&copy; 2026 Shop</p></footer>
    </body>
    </html>
""")

POM_XML = d("""
    <?xml version="1.0" encoding="UTF-8"?>
    <project xmlns="http://maven.apache.org/POM/4.0.0">
      <modelVersion>4.0.0</modelVersion>
      <groupId>com.example</groupId>
      <artifactId>orders</artifactId>
      <version>2.4.0</version>
      <dependencies>
        <dependency>
          <groupId>com.google.code.gson</groupId>
          <artifactId>gson</artifactId>
          <version>2.11.0</version>
        </dependency>
      </dependencies>
    </project>
""")

HTML_FRAGMENT = "\n".join(
    f'<tr><td class="sku">SKU-{i:04d}</td><td>Widget {i}</td><td class="price">{i * 3}.99</td></tr>' for i in range(40)
)

PROSE = d("""
    The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a
    region in France. They were descended from Norse raiders and pirates from Denmark, Iceland and
    Norway who, under their leader Rollo, agreed to swear fealty to King Charles III of West Francia.
    Through generations of assimilation and mixing with the native Frankish and Roman-Gaulish
    populations, their descendants would gradually merge with the Carolingian-based cultures of West
    Francia. The distinct cultural and ethnic identity of the Normans emerged initially in the first
    half of the 10th century, and it continued to evolve over the succeeding centuries.
""")

README = d("""
    # shop-cli

    A command-line client for the Shop API. It lists orders, issues refunds and exports reports.

    ## Install

    ```bash
    pip install shop-cli
    export SHOP_TOKEN=...
    ```

    ## Usage

    - `shop orders --status open` lists the open orders of your account.
    - `shop refund ORDER_ID` refunds an order in full; pass `--amount` for a partial refund.
    - `shop export --since 2026-01-01` writes a CSV report to the current directory.

    See the [documentation](https://docs.example.com/shop-cli) for every command and option.
""")

ROWS = [{"id": i, "status": "failed" if i % 17 == 0 else "ok", "latency_ms": (i * 37) % 400} for i in range(300)]
