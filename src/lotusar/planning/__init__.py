"""lotusar.planning"""
