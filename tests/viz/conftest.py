"""Helpers for the diagram tests: a small DOT reader, and skipping tests that need ``dot``.

Diagram tests check the *structure* of the DOT text (which boxes, which wires, which numbers in
which colour) by parsing it statement by statement, never by comparing whole files.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import pytest

HAVE_DOT = shutil.which("dot") is not None


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="needs the Graphviz `dot` program (apt install graphviz)")
    for item in items:
        if "needs_dot" in item.keywords and not HAVE_DOT:
            item.add_marker(skip)


_VALUE = r'"(?:[^"\\]|\\.)*"|<(?:[^<>]|<[^<>]*>)*>|[^\s\]=]+'
_ATTR = re.compile(rf"(\w[\w-]*)=({_VALUE})")
_NODE = re.compile(r"^(\w+) \[(.*)\]$")
_EDGE = re.compile(r"^(\w+) -> (\w+) \[(.*)\]$")
_CLUSTER = re.compile(r"^subgraph (cluster_\w+) \{$")


def _unquote(value: str) -> str:
    if value.startswith('"'):
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_attrs(text: str) -> Dict[str, str]:
    return {key: _unquote(value) for key, value in _ATTR.findall(text)}


@dataclass
class Dot:
    """A parsed diagram: nodes by id (with their clusters), edges in order, clusters."""

    nodes: Dict[str, Dict[str, str]] = field(default_factory=dict)
    node_clusters: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    edges: List[Tuple[str, str, Dict[str, str]]] = field(default_factory=list)
    clusters: Dict[str, Dict[str, str]] = field(default_factory=dict)
    graph: Dict[str, str] = field(default_factory=dict)

    def by_label(self, label: str) -> str:
        found = [n for n, attrs in self.nodes.items() if attrs.get("label") == label]
        assert len(found) == 1, f"expected one node labelled {label!r}, found {found}"
        return found[0]

    def edges_from(self, node_id: str) -> List[Dict[str, str]]:
        return [attrs for src, _, attrs in self.edges if src == node_id]

    def edges_into(self, node_id: str) -> List[Tuple[str, Dict[str, str]]]:
        return [(src, attrs) for src, dst, attrs in self.edges if dst == node_id]

    def cluster_label(self, name: str) -> Optional[str]:
        return self.clusters[name].get("label")

    @staticmethod
    def colored(attrs: Dict[str, str], color: str) -> List[str]:
        """The texts of an element's HTML-like label drawn in ``color``."""
        return colored_numbers(attrs["label"], color)


def parse_dot(source: str) -> Dot:
    """Read the DOT written by :mod:`viz.layout` (one statement per line)."""
    lines = [line.strip() for line in source.splitlines()]
    assert lines[0].startswith("digraph ") and lines[0].endswith("{"), lines[0]
    assert lines[-1] == "}", lines[-1]
    dot = Dot()
    open_clusters: List[str] = []
    for line in lines[1:-1]:
        if not line or line.startswith("{rank=same;"):  # layout hints, nothing drawn
            continue
        cluster = _CLUSTER.match(line)
        if cluster:
            open_clusters.append(cluster.group(1))
            dot.clusters[cluster.group(1)] = {}
            continue
        if line == "}":
            open_clusters.pop()
            continue
        edge = _EDGE.match(line)
        if edge:
            dot.edges.append((edge.group(1), edge.group(2), parse_attrs(edge.group(3))))
            continue
        node = _NODE.match(line)
        if node and node.group(1) in ("graph", "node", "edge"):
            if node.group(1) == "graph":
                dot.graph.update(parse_attrs(node.group(2)))
            continue
        if node:
            dot.nodes[node.group(1)] = parse_attrs(node.group(2))
            dot.node_clusters[node.group(1)] = tuple(open_clusters)
            continue
        assert open_clusters, f"unexpected statement outside a cluster: {line!r}"
        dot.clusters[open_clusters[-1]].update(parse_attrs(line))
    assert not open_clusters, "unclosed subgraph"
    return dot


_FONT = re.compile(r'<font color="([^"]+)"[^>]*>(.*?)</font>')


def label_lines(label: str) -> List[List[Tuple[str, str]]]:
    """An HTML-like label as lines of (colour, text) pieces."""
    assert label.startswith("<") and label.endswith(">"), label
    body = label[1:-1]
    return [[(color, _html_text(text)) for color, text in _FONT.findall(line)]
            for line in body.split("<br/>")]


def _html_text(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&amp;", "&"))


def colored_numbers(label: str, color: str) -> List[str]:
    """The texts drawn in ``color`` in an HTML-like label."""
    return [text for line in label_lines(label) for c, text in line if c == color]


@pytest.fixture(name="drawn")
def drawn_fixture():
    """``drawn(root, **options)``: the diagram's DOT (from :func:`viz.to_dot`), parsed."""
    import viz

    return lambda root, **options: parse_dot(viz.to_dot(root, **options))
