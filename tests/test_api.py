import pipeline


def test_every_public_name_resolves():
    for name in pipeline.__all__:
        assert getattr(pipeline, name) is not None, name


def test_show_versions():
    v = pipeline.show_versions()
    assert v["route-risk"].startswith(pipeline.__version__ + "+")  # plus a hash of the source
    assert {"numpy", "h3", "folium", "rasterio"} <= set(v)
