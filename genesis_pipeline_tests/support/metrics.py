"""Reading Prometheus metrics as a scraper does: the text format, parsed by prometheus-client."""

import urllib.request
from collections import Counter

from prometheus_client.parser import text_string_to_metric_families

Labels = tuple[tuple[str, str], ...]  # sorted (name, value) pairs
Samples = dict[str, dict[Labels, float]]  # sample name → labels → value


def parse(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def scrape(url: str) -> Samples:
    with urllib.request.urlopen(url, timeout=10) as response:
        return parse(response.read().decode())


def summed(samples: dict[Labels, float], *names: str) -> Counter[tuple[str, ...]]:
    """The samples of one metric summed over the labels not named."""
    totals: Counter[tuple[str, ...]] = Counter()
    for labels, value in samples.items():
        values = dict(labels)
        totals[tuple(values[name] for name in names)] += value
    return totals
