-- The category tree, products placed in it with typed attributes and variant options, SKU images, and the
-- price history every price change leaves.

-- A category's path is its ancestors' slugs and its own ('/apparel/shirts'), kept by the store on every create and
-- move (a move rewrites the paths of the whole subtree in one statement), so breadcrumbs, subtree filters and
-- listings read one indexed column instead of walking parents. Siblings are ordered by position.
-- Attribute definitions are the typed attributes products of this category carry, for example
-- [{"name":"size","type":"option","values":["S","M","L","XL"]},{"name":"material","type":"text"},{"name":"weight","type":"number"}].
CREATE TABLE catalog_categories (
    category_id text        PRIMARY KEY,
    parent_id   text        REFERENCES catalog_categories (category_id),
    name        text        NOT NULL,
    slug        text        NOT NULL,
    path        text        NOT NULL UNIQUE,
    position    integer     NOT NULL DEFAULT 0,
    attributes  jsonb       NOT NULL DEFAULT '[]',
    archived    boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS DISTINCT FROM category_id),
    UNIQUE NULLS NOT DISTINCT (parent_id, slug)
);
CREATE INDEX catalog_categories_parent ON catalog_categories (parent_id, position);
CREATE INDEX catalog_categories_path_prefix ON catalog_categories (path text_pattern_ops);

-- Products: their category, and the option values their variants are built from
-- ({"size":["S","M","L","XL"],"colour":["black","white"]}: 8 SKUs, each with its own options, price, stock and images).
-- The attributes column (from 0001) holds the product's values of its category's typed attributes ({"material":"cotton"}).
ALTER TABLE catalog_products ADD COLUMN category_id text REFERENCES catalog_categories (category_id);
ALTER TABLE catalog_products ADD COLUMN variant_options jsonb NOT NULL DEFAULT '{}';
CREATE INDEX catalog_products_category ON catalog_products (category_id);

-- A SKU's images, in display order: [{"url":"https://…","alt":"…"}].
ALTER TABLE catalog_skus ADD COLUMN images jsonb NOT NULL DEFAULT '[]';

-- Every price a SKU had, with when and who set it (an operator's account id, or 'import:<job id>').
-- A SKU's first price is its first row; a write that leaves the price as it was adds none.
CREATE TABLE catalog_price_history (
    history_id bigint        GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku        text          NOT NULL REFERENCES catalog_skus (sku),
    price      numeric(19,4) NOT NULL,
    currency   char(3)       NOT NULL,
    changed_by text          NOT NULL,
    changed_at timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX catalog_price_history_sku ON catalog_price_history (sku, changed_at DESC);
