-- Autocomplete without sorting every candidate: each suggestion is listed under every start (up to 16 folded
-- characters) of its label and of each word in it, with what orders suggestions, so that one btree range answers a
-- prefix already in order and stops at the limit. Rebuilt for the suggestions a rebuild recounts.
CREATE TABLE search_suggestion_prefixes (
    prefix   text    NOT NULL,
    kind     text    NOT NULL,
    key      text    NOT NULL,
    -- The prefix starts the label (ranked first; prefixes under three characters match only there).
    at_start boolean NOT NULL,
    products integer NOT NULL,
    label    text    NOT NULL,
    PRIMARY KEY (kind, key, prefix)
);
CREATE INDEX search_suggestion_prefixes_ranked ON search_suggestion_prefixes (prefix, at_start DESC, products DESC, length(label), label, kind);

INSERT INTO search_suggestion_prefixes (prefix, kind, key, at_start, products, label)
SELECT substr(g.folded, w.start, n), g.kind, g.key, bool_or(w.start = 1), min(g.products), min(g.label)
FROM search_suggestions g
CROSS JOIN LATERAL (SELECT 1 AS start UNION ALL SELECT i + 1 FROM generate_series(1, length(g.folded) - 1) i WHERE substr(g.folded, i, 1) = ' ') w
CROSS JOIN LATERAL generate_series(1, least(16, length(g.folded) - w.start + 1)) n
GROUP BY 1, 2, 3;
