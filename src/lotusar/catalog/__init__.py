"""lotusar.catalog"""
