-- Each document keeps its own vocabulary words (the folded words of its title, brand, categories and values), so that a
-- rebuild can tell which words no product has any more and drop them from search_words: typo correction then never
-- lands on a word that finds nothing. The GIN index answers "does another product still have this word".
ALTER TABLE search_products ADD COLUMN words text[] NOT NULL DEFAULT '{}';
-- The documents already indexed, from what they hold (category names as the categories have them now); every later
-- rebuild writes them from the catalog.
UPDATE search_products s SET words = ARRAY(
    SELECT DISTINCT w FROM regexp_split_to_table(search_fold(concat_ws(' ', s.title, s.brand,
        (SELECT string_agg(c.name, ' ') FROM catalog_categories c WHERE c.category_id = ANY (s.category_ids)),
        (SELECT string_agg(substr(f, strpos(f, '=') + 1), ' ') FROM unnest(s.facets) f))), '[^[:alnum:]]+') w
    WHERE length(w) >= 2);
CREATE INDEX search_products_words ON search_products USING gin (words);
