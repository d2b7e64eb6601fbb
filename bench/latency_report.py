"""The latency bench's report: percentiles per figure, the reference measured in the same run, the overhead
(figure minus reference at the same percentile) and the issue's aims beside them."""

import os

AIM_TAP_P99 = 0.250
AIM_CONFIRM_P50 = 1.0  # plus the OpenAI time
AIM_CALLBACK_P95 = 2.0
AIM_POLLING_FLOOR, AIM_POLLING_SHARE = 15.0, 0.10
BUCKETS = ((0, 30), (30, 120), (120, float("inf")))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ms(seconds):
    return f"{seconds * 1000:7.0f}"


def row(label, values, fractions):
    if not values:
        return f"  {label:<34} {'n=0':>5}"
    figures = " ".join(f"p{round(f * 100)} {ms(percentile(values, f))}" for f in fractions)
    return f"  {label:<34} {f'n={len(values)}':>5}  {figures}"


def overhead(values, reference, fractions):
    if not values or not reference:
        return ""
    differences = (f"p{round(f * 100)} {ms(percentile(values, f) - percentile(reference, f))}" for f in fractions)
    return "   overhead " + " ".join(differences)


def polling_aim(seconds):
    return max(AIM_POLLING_FLOOR, AIM_POLLING_SHARE * seconds)


def print_level(level):
    load = level.load
    if load is None:
        print(f"== {level.name}: no background load")
    else:
        rate = load["sent"] / load["seconds"] if load["seconds"] else 0
        print(
            f"== {level.name}: background load posted {load['sent']} updates in {load['seconds']:.0f} s = {rate:.1f}/s "
            f"({load['failed']} failed, {load['late']} posted over 1 s late)"
        )
    p3 = (0.50, 0.95, 0.99)
    print(row("tap -> reply", level.taps, p3) + f"   aim p99 <= {AIM_TAP_P99 * 1000:.0f} ms at load")
    print(row("  reference: the step alone", level.tap_reference, p3) + overhead(level.taps, level.tap_reference, p3))
    for openai, values in level.confirms.items():
        aim = (AIM_CONFIRM_P50 + openai) * 1000
        overheads = " ".join(f"p{round(f * 100)} {ms(percentile(values, f) - openai)}" for f in p3) if values else ""
        print(row(f"Confirm -> task (OpenAI {openai * 1000:.0f} ms)", values, p3) + f"   aim p50 <= {aim:.0f} ms")
        print(f"  {'  reference: the OpenAI time':<34} {'':>5}  {ms(openai)}         overhead {overheads}")
    p2 = (0.50, 0.95)
    reference = level.file_reference
    for mode in ("callbacks", "polling"):
        pairs = level.deliveries.get(mode, [])
        delays = [delay for _, delay in pairs]
        aim = (
            f"aim p95 <= {AIM_CALLBACK_P95 * 1000:.0f} ms"
            if mode == "callbacks"
            else f"aim <= max({AIM_POLLING_FLOOR:.0f} s, {AIM_POLLING_SHARE:.0%} of the generation)"
        )
        missing = level.undelivered.get(mode, 0)
        print(
            row(f"done -> delivered, {mode}", delays, (0.50, 0.95, 0.99))
            + f"   {aim}"
            + (f"   {missing} NOT DELIVERED" if missing else "")
        )
        print(overhead(delays, reference, p2).replace("   overhead", f"  {'':<34} {'':>5}  overhead", 1))
        if mode == "polling" and pairs:
            within = sum(delay <= polling_aim(seconds) for seconds, delay in pairs)
            parts = []
            for low, high in BUCKETS:
                bucket = [delay for seconds, delay in pairs if low <= seconds < high]
                if bucket:
                    label = f"{low:.0f}-{high:.0f} s" if high != float("inf") else f">= {low:.0f} s"
                    parts.append(
                        f"{label}: n={len(bucket)} p50 {percentile(bucket, 0.5):.1f} s, max {max(bucket):.1f} s"
                    )
            print(f"    by generation time: {'; '.join(parts)}; within the aim: {within} of {len(pairs)}")
    print(row("  reference: download + upload", reference, p2))
    reads, too_many, callbacks = level.reads
    tasks = sum(len(pairs) for pairs in level.deliveries.values()) + sum(level.undelivered.values())
    print(
        f"  the app gave a callback URL to {level.callback_urls} of {tasks} tasks; fake KIE so far: {reads} "
        f"reads, {too_many} answered 429, {callbacks} callbacks delivered"
    )


def print_report(levels, queries, logs, too_many, seconds):
    print(
        f"NeuroCards latency bench: {os.cpu_count()} cores, PostgreSQL, uvicorn neurocards.asgi (2 workers) and "
        "qcluster (Redis broker) as subprocesses; fake Bot API, KIE and OpenAI in processes of their own"
    )
    print(
        "times in ms; overhead = the figure minus its reference at the same percentile, both measured in this run "
        "(other work on the machine moves both)"
    )
    for level in levels:
        print_level(level)
    print(
        f"queries per Confirm (aim <= 8), in this process: {queries['statements']:.1f} SQL statements "
        f"[+{queries['health checks']:.1f} health-check SELECT 1, +{queries['commits']:.1f} transactions]"
    )
    print(f"fake Bot API: {too_many} answers 429")
    for name, lines in logs.items():
        if lines:
            print(f"{name} logged {len(lines)} lines, the first: {lines[0][:300]}")
    print(f"total {seconds:.0f} s")
