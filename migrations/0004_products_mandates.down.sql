DROP TABLE IF EXISTS mandate_products, mandates, mandate_counters, products;
DROP FUNCTION IF EXISTS mandate_year(text);
