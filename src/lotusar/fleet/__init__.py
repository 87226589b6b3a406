"""lotusar.fleet"""
