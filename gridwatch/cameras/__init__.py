"""Import cameras from a platform catalogue (wvp-GB28181-pro) into an inventory (an edge config).

with WvpClient(config, credentials) as client:
    catalogue = read_wvp_catalogue(client, api="device", selection=CatalogueFilter("3201"), now=now)
report = EdgeConfigInventory(Path("edge.yaml"), WvpSection(url, "gridwatch", "WVP_PASSWORD")).apply(catalogue)
"""
