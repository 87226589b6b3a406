"""lotusar.orbit"""
