"""lotusar.sar"""
