-- Product search in PostgreSQL: one denormalized document per active product, rebuilt from the catalog tables by
-- PostgresSearchIndex (Search/), read by full-text search with weights, facets over plain columns, trigram typo
-- correction against a table of the index's words, and prefix suggestions from a small table of titles, brands and
-- categories. unaccent, pg_trgm and fuzzystrmatch ship with PostgreSQL's contrib (this migration runs as superuser).
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

-- unaccent() is only STABLE (it looks its dictionary up by name at run time); naming the dictionary as a constant
-- makes the result depend on the input alone, so the fold can serve generated columns and index expressions.
CREATE FUNCTION search_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN lower(unaccent('unaccent'::regdictionary, $1));

-- English stemming with accents folded first, so 'cafe' finds 'Café' and ts_headline marks the accented word.
CREATE TEXT SEARCH CONFIGURATION commerce_search (COPY = english);
ALTER TEXT SEARCH CONFIGURATION commerce_search ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;

-- A searchable product. document weighs title A, brand and category names B, attribute and option values C,
-- description D. category_ids holds the category and its ancestors (a filter on a category takes its subtree);
-- facets holds 'name=value' for every attribute and SKU option value. Prices are the active SKUs' lowest and
-- highest; in_stock is whether any active SKU has units available (from search_stock).
CREATE TABLE search_products (
    product_id    text          PRIMARY KEY,
    title         text          NOT NULL,
    description   text          NOT NULL,
    brand         text,
    category_id   text,
    category_name text,
    category_ids  text[]        NOT NULL,
    facets        text[]        NOT NULL,
    min_price     numeric(19,4),
    max_price     numeric(19,4),
    currency      char(3),
    available     integer       NOT NULL,
    in_stock      boolean       NOT NULL,
    created_at    timestamptz   NOT NULL,
    document      tsvector      NOT NULL,
    indexed_at    timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX search_products_document ON search_products USING gin (document);
-- The suggestion counts are recomputed per title, brand and category after every change.
CREATE INDEX search_products_title ON search_products (search_fold(title));
CREATE INDEX search_products_brand ON search_products (search_fold(brand));
CREATE INDEX search_products_categories ON search_products USING gin (category_ids);

-- Units available per SKU as inventory last reported them (kept even before the SKU's product is indexed).
CREATE TABLE search_stock (
    sku       text    PRIMARY KEY,
    available integer NOT NULL
);

-- Every folded word of titles, brands, categories and attribute values: the vocabulary a misspelt query word is
-- corrected against (nearest by trigram distance, a GiST index answering the k nearest directly).
CREATE TABLE search_words (
    word text PRIMARY KEY
);
CREATE INDEX search_words_trigrams ON search_words USING gist (word gist_trgm_ops);

-- What autocomplete offers: distinct product titles, brands and categories with how many products carry them.
-- key is the folded title or brand, or the category id.
CREATE TABLE search_suggestions (
    kind     text    NOT NULL CHECK (kind IN ('product', 'brand', 'category')),
    key      text    NOT NULL,
    label    text    NOT NULL,
    folded   text    NOT NULL GENERATED ALWAYS AS (search_fold(label)) STORED,
    products integer NOT NULL,
    PRIMARY KEY (kind, key)
);
-- Word starts anywhere in a label (three characters or more) through trigrams, shorter prefixes of the whole label by btree.
CREATE INDEX search_suggestions_trigrams ON search_suggestions USING gin (folded gin_trgm_ops);
CREATE INDEX search_suggestions_prefix ON search_suggestions (folded text_pattern_ops);
