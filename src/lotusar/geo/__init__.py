"""lotusar.geo"""
