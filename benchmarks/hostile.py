"""Hostile mail benchmark: what a stranger's worst message costs ``parse_message``.

Builds one mail per pathological shape and prints, for each, its size, the time of
``parse_message`` (best of ``--repeat`` runs) and the peak Python heap during one parse
(tracemalloc, measured in a separate run so it does not slow the timing):

* HTML-only mails of ~2 MB: unclosed ``<script>``, 100k+ ``<!--``, 100k+ nested ``<div>``,
  one huge attribute, many entities, a run of ``<`` without ``>``, a run of ``</`` and
  unclosed ``<style>`` with many tags;
* a 1 MB subject of encoded words, a 1 MB subject of raw 8-bit bytes, a To header with
  20,000 addresses (~0.5 MB), 1 MB of malformed header lines before the real headers.

Issue 11 measured before the fix: unclosed ``<script>`` 160 kB 15.6 s; 100,000 ``<!--``
(400 kB) froze the worker for 150 s; 1 MB encoded-word subject 4.6 s.

Usage: python -P benchmarks/hostile.py [--repeat 3] [--mb 2]
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc
from collections.abc import Callable

from avgdesk.mailbox.automatic import judge
from avgdesk.mailbox.parsing import ParseLimits, parse_message

HEAD = (
    "From: Klant <klant@example.nl>\r\nTo: privacy@nhmbsoftware.nl\r\nSubject: {subject}\r\n"
    "Message-ID: <hostile@example.nl>\r\nMIME-Version: 1.0\r\n"
)


def html_mail(body: str) -> bytes:
    head = HEAD.format(subject="Inzage") + "Content-Type: text/html; charset=utf-8\r\n\r\n"
    return head.encode() + body.encode()


def shapes(size: int) -> dict[str, Callable[[], bytes]]:
    return {
        "html: unclosed <script>": lambda: html_mail("<p>Inzage</p><script>" + "a<b " * (size // 4)),
        "html: <!-- x N (unclosed)": lambda: html_mail("<p>Inzage</p>" + "<!--" * (size // 4)),
        "html: nested <div> x N": lambda: html_mail("<div>" * (size // 5) + "Inzage"),
        "html: huge attribute": lambda: html_mail('<a href="' + "x" * size + '">Inzage</a>'),
        "html: entities": lambda: html_mail("&amp;&#x41;&eacute;&#65;" * (size // 22)),
        "html: '<a ' without '>'": lambda: html_mail("Inzage " + "<a " * (size // 3)),
        "html: '</' x N": lambda: html_mail("Inzage " + "</" * (size // 2)),
        "html: unclosed <style> + tags": lambda: html_mail("<style>" + "<p>x</p>" * (size // 8)),
        "html: <!x x N (unclosed)": lambda: html_mail("Inzage" + "<!x" * (size // 3)),
        "subject: 1 MB encoded words": lambda: (
            HEAD.format(subject="=?utf-8?q?caf=C3=A9_?= " * (1_000_000 // 21)) + "\r\nInzage"
        ).encode(),
        "subject: 1 MB '=?' runs": lambda: (HEAD.format(subject="=?" * 500_000) + "\r\nInzage").encode(),
        "subject: 1 MB raw 8-bit": lambda: (
            HEAD.format(subject="x")
            .encode()
            .replace(b"Subject: x", b"Subject: " + "Zoë ".encode() * 200_000 + b"\xe9")
            + b"\r\nInzage"
        ),
        "to: 20,000 addresses": lambda: (
            HEAD.format(subject="x")
            + "Cc: "
            + ", ".join(f"=?utf-8?q?N=C3=A4me_{i}?= <a{i}@example.nl>" for i in range(20_000))
            + "\r\n\r\nInzage"
        ).encode(),
        "header: 1 MB malformed lines": lambda: (
            "garbage line without colon\r\n" * (1_000_000 // 28) + HEAD.format(subject="x") + "\r\nInzage"
        ).encode(),
    }


def measure(raw: bytes, limits: ParseLimits, repeat: int) -> tuple[float, float, int, str]:
    """Best wall time and best CPU time (the machine may be shared), peak heap, a summary."""
    best = best_cpu = float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        parsed = parse_message(raw, limits)
        judge(parsed)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    tracemalloc.start()
    parse_message(raw, limits)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    summary = f"text {len(parsed.text):>7} chars, subject {len(parsed.subject):>4}"
    summary += f", defects {len(parsed.defects)}"
    return best, best_cpu, peak, summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mb", type=float, default=2.0, help="size of the HTML shapes in MB")
    args = parser.parse_args()
    limits = ParseLimits()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; {os.cpu_count()} cores")
    print(f"AVGDESK_PARSE_MAX_HTML_BYTES default {limits.max_html_bytes:,}")
    print(f"{'shape':34} {'bytes':>10} {'wall s':>7} {'cpu s':>6} {'peak MB':>8}  result")
    worst = worst_cpu = 0.0
    for name, build in shapes(int(args.mb * 1_000_000)).items():
        raw = build()
        seconds, cpu, peak, summary = measure(raw, limits, args.repeat)
        worst, worst_cpu = max(worst, seconds), max(worst_cpu, cpu)
        print(f"{name:34} {len(raw):>10,} {seconds:>7.3f} {cpu:>6.3f} {peak / 1e6:>8.1f}  {summary}")
    print(f"slowest: {worst:.3f} s wall, {worst_cpu:.3f} s CPU")


if __name__ == "__main__":
    main()
