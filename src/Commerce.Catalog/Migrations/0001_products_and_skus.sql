-- A minimal catalog that can grow: categories, media and search attach to products later;
-- attributes and options are JSONB so new facets need no migration.
CREATE TABLE catalog_products (
    product_id  text        PRIMARY KEY,
    title       text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    brand       text,
    attributes  jsonb       NOT NULL DEFAULT '{}',
    active      boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE catalog_skus (
    sku            text          PRIMARY KEY,
    product_id     text          NOT NULL REFERENCES catalog_products (product_id),
    title          text          NOT NULL,
    options        jsonb         NOT NULL DEFAULT '{}',
    price          numeric(19,4) NOT NULL CHECK (price >= 0),
    currency       char(3)       NOT NULL,
    active         boolean       NOT NULL DEFAULT true,
    purchase_limit integer       CHECK (purchase_limit > 0),
    created_at     timestamptz   NOT NULL DEFAULT now(),
    updated_at     timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX catalog_skus_product ON catalog_skus (product_id);
