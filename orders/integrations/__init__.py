"""Shop-platform integrations: Shopify and WooCommerce webhooks, CSV import screens."""
