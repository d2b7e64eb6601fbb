# Filled by the Mini App page's branch.
