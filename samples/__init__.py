"""Bundled local sample sites (test fixtures and demo data) and a stdlib static server for them.

``samples/sites/<key>/`` holds one reconstructed 范文网 site per spider key (baina, juyou,
jianbiao, huiwen); :mod:`samples.serve` serves them on 127.0.0.1. See ``samples/README.md``.
"""
