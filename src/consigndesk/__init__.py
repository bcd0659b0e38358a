"""ConsignDesk: customer service for consignment marketplaces."""
